//! A small, seedable, dependency-free pseudo-random generator for the simulator.
//!
//! Why not `rand`: the simulator must produce bit-identical days for a given seed on every
//! platform and across dependency upgrades (tests pin behaviour to seeds), and it needs only
//! uniform and Gaussian draws. xoshiro256++ (Blackman & Vigna) is fast, has a 2^256 − 1 period
//! and passes the usual statistical batteries; SplitMix64 expands a 64-bit seed into its state,
//! which is the seeding procedure its authors recommend.

/// Advances a SplitMix64 state and returns the next output.
///
/// Used only to expand seeds: it turns similar seeds (0, 1, 2, …) into unrelated states.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// xoshiro256++ generator with uniform and Gaussian (Box–Muller) draws.
#[derive(Debug, Clone)]
pub struct Rng {
    s: [u64; 4],
    /// Second Box–Muller output, kept so each pair of uniforms yields two normals.
    spare: Option<f64>,
}

impl Rng {
    /// Creates a generator from a 64-bit seed (any value, including 0, is fine).
    pub fn new(seed: u64) -> Self {
        let mut sm = seed;
        let mut s = [0u64; 4];
        for word in &mut s {
            *word = splitmix64(&mut sm);
        }
        if s == [0; 4] {
            // The all-zero state is the one fixed point of xoshiro; SplitMix64 cannot
            // actually produce it, but guard anyway.
            s[0] = 1;
        }
        Self { s, spare: None }
    }

    /// Creates an independent generator for sub-stream `stream` of `seed`.
    ///
    /// Why: the simulator draws the mount, the bias, the noise and the dropouts from separate
    /// streams, so switching one feature on or off does not reshuffle the others.
    pub fn stream(seed: u64, stream: u64) -> Self {
        let mut sm = seed;
        let base = splitmix64(&mut sm);
        let mut sm2 = stream.wrapping_mul(0xD1B5_4A32_D192_ED03) ^ 0xA076_1D64_78BD_642F;
        Self::new(base ^ splitmix64(&mut sm2))
    }

    /// Next raw 64-bit output (xoshiro256++).
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform draw in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform draw in `[lo, hi)` (returns `lo` when `hi <= lo`).
    pub fn range(&mut self, lo: f64, hi: f64) -> f64 {
        if hi <= lo {
            lo
        } else {
            lo + (hi - lo) * self.uniform()
        }
    }

    /// Uniform integer in `0..n` (returns 0 for `n == 0`), by Lemire's multiply-shift.
    pub fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// True with probability `p` (clamped to `[0, 1]`).
    pub fn chance(&mut self, p: f64) -> bool {
        self.uniform() < p
    }

    /// +1 or −1 with equal probability.
    pub fn sign(&mut self) -> f64 {
        if self.next_u64() >> 63 == 0 {
            1.0
        } else {
            -1.0
        }
    }

    /// Standard normal draw (mean 0, σ 1) by the polar form of the Box–Muller transform
    /// (Marsaglia): it needs no sine or cosine, which matters because the simulator draws six
    /// normals per sample. Each accepted pair of uniforms yields two independent normals.
    pub fn gaussian(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        loop {
            let u = 2.0 * self.uniform() - 1.0;
            let v = 2.0 * self.uniform() - 1.0;
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let k = (-2.0 * s.ln() / s).sqrt();
                self.spare = Some(v * k);
                return u * k;
            }
        }
    }

    /// Normal draw with the given mean and standard deviation.
    pub fn normal(&mut self, mean: f64, sigma: f64) -> f64 {
        mean + sigma * self.gaussian()
    }

    /// Fisher–Yates shuffle in place.
    pub fn shuffle<T>(&mut self, items: &mut [T]) {
        for i in (1..items.len()).rev() {
            let j = self.below(i as u64 + 1) as usize;
            items.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_seed_sensitive() {
        let mut a = Rng::new(42);
        let mut b = Rng::new(42);
        let mut c = Rng::new(43);
        let xa: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let xb: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        let xc: Vec<u64> = (0..8).map(|_| c.next_u64()).collect();
        assert_eq!(xa, xb);
        assert_ne!(xa, xc);
        let mut s1 = Rng::stream(42, 1);
        let mut s2 = Rng::stream(42, 2);
        assert_ne!(s1.next_u64(), s2.next_u64());
    }

    #[test]
    fn uniform_and_gaussian_moments() {
        let mut r = Rng::new(7);
        let n = 200_000;
        let (mut su, mut sg, mut sg2) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let u = r.uniform();
            assert!((0.0..1.0).contains(&u));
            su += u;
            let g = r.gaussian();
            sg += g;
            sg2 += g * g;
        }
        let nf = n as f64;
        assert!((su / nf - 0.5).abs() < 0.005);
        assert!((sg / nf).abs() < 0.01);
        assert!((sg2 / nf - 1.0).abs() < 0.02);
    }

    #[test]
    fn below_in_range_and_shuffle_is_permutation() {
        let mut r = Rng::new(1);
        for _ in 0..1000 {
            assert!(r.below(7) < 7);
        }
        assert_eq!(r.below(0), 0);
        let mut v: Vec<u32> = (0..50).collect();
        r.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, (0..50).collect::<Vec<u32>>());
    }
}
