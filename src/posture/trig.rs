//! `atan2` and `asin` for the trunk angles, within two units in the last place of the C
//! library's.
//!
//! Why not `f64::atan2` and `f64::asin`: every sample of every session takes one of each, and
//! the C library's (correctly rounded in almost all cases, with a slow path for the rest) cost
//! about 120 and 90 instructions a call, a fifth of the headless replay's driver thread. Here
//! they take about 40: Cephes' `atan` (S. L. Moshier), a range reduction at tan(3π/8) and 0.66 and
//! a rational function of degree 4/5, whose error is about one unit in the last place (two at
//! most, tested). A last-place error of an angle near 180° is 3·10⁻¹⁴ degrees, so an angle
//! written with three decimals differs from the C library's only when it lies that close to a
//! rounding boundary (a point built to sit there, such as `atan2(-0.000213802830045, 0.69999997)`,
//! prints `-0.017` where libm gives `-0.018`); the 718,778 angles of the 1-hour test day are
//! identical, and so are its states and events. Outputs of builds before this module may differ
//! from later ones in such rare last digits.
//!
//! Anything outside the plain case (a zero or non-finite argument) goes to the standard
//! functions, so the signs of zero, infinities and NaN are theirs.

use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

/// tan(3π/8).
const TAN_3PI_8: f64 = 2.414_213_562_373_095;
/// π/2 − fl(π/2): what the rounded constant lacks, added back to the result.
const MORE_BITS: f64 = 6.123_233_995_736_766e-17;

/// Numerator coefficients of Cephes' `atan`, highest power first.
const P: [f64; 5] = [
    -8.750_608_600_031_904e-1,
    -1.615_753_718_733_365e1,
    -7.500_855_792_314_705e1,
    -1.228_866_684_490_136e2,
    -6.485_021_904_942_025e1,
];
/// Denominator coefficients (a leading 1 implied), highest power first.
const Q: [f64; 5] = [
    2.485_846_490_142_306e1,
    1.650_270_098_316_988e2,
    4.328_810_604_912_903e2,
    4.853_903_996_359_137e2,
    1.945_506_571_482_614e2,
];

/// atan(x) for finite `x` (any sign).
#[inline]
fn atan(x: f64) -> f64 {
    let a = x.abs();
    let (base, t, more) = if a > TAN_3PI_8 {
        (FRAC_PI_2, -1.0 / a, MORE_BITS)
    } else if a <= 0.66 {
        (0.0, a, 0.0)
    } else {
        (FRAC_PI_4, (a - 1.0) / (a + 1.0), 0.5 * MORE_BITS)
    };
    let z = t * t;
    let p = (((P[0] * z + P[1]) * z + P[2]) * z + P[3]) * z + P[4];
    let q = ((((z + Q[0]) * z + Q[1]) * z + Q[2]) * z + Q[3]) * z + Q[4];
    let r = base + (t * (z * p / q) + t + more);
    r.copysign(x)
}

/// The angle of the point (`x`, `y`) from the positive x axis, radians in [−π, π]: `y.atan2(x)`.
#[inline]
pub fn atan2(y: f64, x: f64) -> f64 {
    if x == 0.0 || y == 0.0 || !x.is_finite() || !y.is_finite() {
        return y.atan2(x);
    }
    atan2_plain(y, x)
}

/// [`atan2`] for finite, non-zero `x` and `y`.
#[inline]
fn atan2_plain(y: f64, x: f64) -> f64 {
    let r = atan(y / x);
    if x > 0.0 {
        r
    } else if y > 0.0 {
        // π plus a negative angle: the rounding bit of π comes back too.
        (PI + r) + 2.0 * MORE_BITS
    } else {
        (-PI + r) - 2.0 * MORE_BITS
    }
}

/// The arcsine of `v`, radians in [−π/2, π/2]: `v.asin()`.
#[inline]
pub fn asin(v: f64) -> f64 {
    // Not `v.abs() >= 1.0`: NaN must go to the standard function too.
    if v.abs().partial_cmp(&1.0) != Some(std::cmp::Ordering::Less) || v == 0.0 {
        return v.asin();
    }
    // (1 − v)(1 + v) rather than 1 − v²: exact where v is near ±1, where it matters. For
    // 0 < |v| < 1 it is finite and positive, so the checks of `atan2` are not needed again.
    atan2_plain(v, ((1.0 - v) * (1.0 + v)).sqrt())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Distance between two finite doubles in units in the last place of the larger.
    fn ulps(a: f64, b: f64) -> f64 {
        if a == b {
            return 0.0;
        }
        let scale = a.abs().max(b.abs());
        let ulp = f64::from_bits(scale.to_bits() + 1) - scale;
        (a - b).abs() / ulp
    }

    fn assert_close(fast: f64, std: f64, what: &str) {
        assert!(
            ulps(fast, std) <= 2.0,
            "{what}: {fast:e} against {std:e} ({} ulps)",
            ulps(fast, std)
        );
    }

    #[test]
    fn atan2_matches_the_c_library_across_the_plane() {
        // Every quadrant, angles near the axes and the diagonals, magnitudes from 1e-300 on.
        let mut worst = 0.0f64;
        let mut n = 0;
        for i in 0..2000 {
            let angle = -PI + (i as f64 + 0.37) * (2.0 * PI / 2000.0);
            for scale in [1e-300, 1e-8, 0.3, 1.0, 7.0, 1e9, 1e300] {
                let (y, x) = (scale * angle.sin(), scale * angle.cos());
                let (fast, std) = (atan2(y, x), y.atan2(x));
                assert_close(fast, std, &format!("atan2({y:e}, {x:e})"));
                worst = worst.max(ulps(fast, std));
                n += 1;
            }
        }
        // Near the branch points of the reduction (0.66, 1, tan(3π/8)) and close to the axes.
        for x0 in [0.66, 1.0, TAN_3PI_8, 1e-12, 1e12] {
            let mut y = x0;
            for _ in 0..200 {
                for (sy, sx) in [(1.0, 1.0), (-1.0, 1.0), (1.0, -1.0), (-1.0, -1.0)] {
                    assert_close(atan2(sy * y, sx), (sy * y).atan2(sx), "branch point");
                    assert_close(atan2(sx, sy * y), sx.atan2(sy * y), "branch point, swapped");
                }
                y = f64::from_bits(y.to_bits() + 1);
                n += 1;
            }
        }
        assert_eq!(n, 15_000, "cases");
        assert!(worst <= 2.0, "worst {worst} ulps");
    }

    #[test]
    fn zeros_infinities_and_nan_are_the_standard_ones() {
        let specials = [
            0.0,
            -0.0,
            1.0,
            -1.0,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
        ];
        for y in specials {
            for x in specials {
                let (fast, std) = (atan2(y, x), y.atan2(x));
                assert!(
                    fast.to_bits() == std.to_bits() || ulps(fast, std) <= 2.0,
                    "atan2({y}, {x}) = {fast} against {std}"
                );
                assert_eq!(fast.is_nan(), std.is_nan());
            }
            let (fast, std) = (asin(y), y.asin());
            assert!(fast.to_bits() == std.to_bits() || ulps(fast, std) <= 2.0);
            assert_eq!(fast.is_nan(), std.is_nan(), "asin({y})");
        }
        assert_eq!(atan2(-0.0, 1.0).to_bits(), (-0.0f64).to_bits());
        assert_eq!(atan2(0.0, -1.0), PI);
        assert_eq!(asin(1.0), FRAC_PI_2);
        assert!(asin(1.5).is_nan());
    }

    #[test]
    fn asin_matches_the_c_library_up_to_the_poles() {
        let mut v = 0.999_999_999_999;
        for _ in 0..5000 {
            assert_close(asin(v), v.asin(), &format!("asin({v})"));
            assert_close(asin(-v), (-v).asin(), &format!("asin(-{v})"));
            v = f64::from_bits(v.to_bits() + 1_000_000);
            if v >= 1.0 {
                break;
            }
        }
        for i in 1..20_000 {
            let v = -1.0 + f64::from(i) / 10_000.0;
            assert_close(asin(v), v.asin(), &format!("asin({v})"));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]

        #[test]
        fn atan2_of_any_point_is_within_two_ulps(y in -1e6f64..1e6, x in -1e6f64..1e6) {
            let (fast, std) = (atan2(y, x), y.atan2(x));
            prop_assert!(ulps(fast, std) <= 2.0, "atan2({y:e}, {x:e}): {fast:e} vs {std:e}");
        }

        #[test]
        fn asin_of_any_value_is_within_two_ulps(v in -1.0f64..=1.0) {
            let (fast, std) = (asin(v), v.asin());
            prop_assert!(ulps(fast, std) <= 2.0, "asin({v:e}): {fast:e} vs {std:e}");
        }
    }
}
