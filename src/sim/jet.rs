//! Second-order jets: a value together with its first and second time derivatives.
//!
//! Why: every trajectory in the simulator is an analytic function of time (minimum-jerk
//! blends plus sinusoids). Carrying exact derivatives through the arithmetic gives the angular
//! velocity and the linear acceleration in closed form from the very same expressions that
//! define the orientation and position, so the gyroscope and the accelerometer agree with one
//! trajectory by construction, with no finite-difference error, at the cost of one evaluation
//! per sample.

use std::ops::{Add, Mul, Neg, Sub};

/// `v` = value, `d` = first time derivative (per second), `a` = second derivative (per s²).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Jet {
    pub v: f64,
    pub d: f64,
    pub a: f64,
}

impl Jet {
    /// A time-independent quantity.
    #[cfg(test)]
    pub const fn constant(v: f64) -> Self {
        Self { v, d: 0.0, a: 0.0 }
    }

    /// `amp · sin(omega · t + phase)` with its derivatives (`omega` in rad/s).
    pub fn sinusoid(t: f64, amp: f64, omega: f64, phase: f64) -> Self {
        let (s, c) = (omega * t + phase).sin_cos();
        Self {
            v: amp * s,
            d: amp * omega * c,
            a: -amp * omega * omega * s,
        }
    }

    /// `(sin x, cos x)` by the chain rule.
    pub fn sin_cos(self) -> (Self, Self) {
        let (s, c) = self.v.sin_cos();
        let d2 = self.d * self.d;
        (
            Self {
                v: s,
                d: c * self.d,
                a: c * self.a - s * d2,
            },
            Self {
                v: c,
                d: -s * self.d,
                a: -s * self.a - c * d2,
            },
        )
    }
}

impl Add for Jet {
    type Output = Jet;
    fn add(self, o: Jet) -> Jet {
        Jet {
            v: self.v + o.v,
            d: self.d + o.d,
            a: self.a + o.a,
        }
    }
}

impl Sub for Jet {
    type Output = Jet;
    fn sub(self, o: Jet) -> Jet {
        Jet {
            v: self.v - o.v,
            d: self.d - o.d,
            a: self.a - o.a,
        }
    }
}

impl Neg for Jet {
    type Output = Jet;
    fn neg(self) -> Jet {
        Jet {
            v: -self.v,
            d: -self.d,
            a: -self.a,
        }
    }
}

impl Mul for Jet {
    type Output = Jet;
    /// Product rule up to second order: (fg)'' = f''g + 2f'g' + fg''.
    fn mul(self, o: Jet) -> Jet {
        Jet {
            v: self.v * o.v,
            d: self.d * o.v + self.v * o.d,
            a: self.a * o.v + 2.0 * self.d * o.d + self.v * o.a,
        }
    }
}

impl Mul<f64> for Jet {
    type Output = Jet;
    fn mul(self, k: f64) -> Jet {
        Jet {
            v: self.v * k,
            d: self.d * k,
            a: self.a * k,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Checks a jet-valued function of time against central differences of its value.
    fn check(f: impl Fn(f64) -> Jet, t: f64) {
        let h = 1e-4;
        let (m, z, p) = (f(t - h), f(t), f(t + h));
        let d = (p.v - m.v) / (2.0 * h);
        let a = (p.v - 2.0 * z.v + m.v) / (h * h);
        assert!((d - z.d).abs() < 1e-6 * (1.0 + d.abs()), "d {d} vs {}", z.d);
        assert!((a - z.a).abs() < 1e-3 * (1.0 + a.abs()), "a {a} vs {}", z.a);
    }

    #[test]
    fn derivatives_match_finite_differences() {
        let time = |t: f64| Jet {
            v: t,
            d: 1.0,
            a: 0.0,
        };
        for &t in &[0.1, 0.7, 2.3] {
            check(|t| Jet::sinusoid(t, 1.3, 2.1, 0.4), t);
            check(|t| (time(t) * time(t) * 0.5).sin_cos().0, t);
            check(
                |t| (time(t) * 0.7).sin_cos().1 * Jet::sinusoid(t, 2.0, 3.0, 0.1),
                t,
            );
            check(|t| time(t) * time(t) - Jet::constant(2.0) + -time(t), t);
        }
    }
}
