//! The engine's random streams: every game, shuffle and bot gets its own generator from
//! (seed, index), so a result never depends on which thread ran what. The derivation itself is
//! the one every crate uses, `ew_common::seed`.

pub use ew_common::seed::derive;

/// A small, fast generator (xoshiro256++ seeded through SplitMix64).
pub type Rng = rand_xoshiro::Xoshiro256PlusPlus;

/// A generator for sub-stream `index` of `seed`.
pub fn rng(seed: u64, index: u64) -> Rng {
    use rand_core::SeedableRng;
    Rng::seed_from_u64(derive(seed, index))
}

/// A uniform integer in `0..n` (`n > 0`), by multiply-shift (bias below 2^-32 for small n).
#[inline]
pub fn below(rng: &mut Rng, n: usize) -> usize {
    use rand_core::Rng as _;
    ((rng.next_u64() >> 32).wrapping_mul(n as u64) >> 32) as usize
}

/// A uniform float in `[0, 1)`.
#[inline]
pub fn unit(rng: &mut Rng) -> f32 {
    use rand_core::Rng as _;
    (rng.next_u64() >> 40) as f32 / (1u64 << 24) as f32
}
