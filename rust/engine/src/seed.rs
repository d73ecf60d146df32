//! Seed derivation: every game, shuffle and bot gets its own stream from (seed, index), so a
//! result never depends on which thread ran what.

/// SplitMix64 finaliser: a bijective mix of a 64-bit value.
#[inline]
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The seed of sub-stream `index` of `seed`.
#[inline]
pub fn derive(seed: u64, index: u64) -> u64 {
    mix(mix(seed) ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
}

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
