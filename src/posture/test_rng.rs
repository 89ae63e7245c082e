//! A small deterministic generator (xorshift64*) for the posture tests' long random streams, so
//! they need no seed plumbing and fail the same way every time.

pub(super) struct Rng(u64);

impl Rng {
    /// Stream `stream` of seed `seed` (wrapping: any pair gives a usable, non-zero state).
    pub(super) fn seeded(seed: u64, stream: u64) -> Self {
        Self(
            seed.wrapping_mul(0x9e37_79b9_7f4a_7c15)
                .wrapping_add(stream)
                | 1,
        )
    }

    pub(super) fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in [0, 1).
    pub(super) fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}
