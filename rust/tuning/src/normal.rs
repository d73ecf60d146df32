//! A seedable generator of uniform and standard normal numbers whose whole state serialises,
//! so a checkpointed optimizer continues with exactly the numbers it would have drawn.
//!
//! Hand-written rather than `rand_distr`: its normal sampler (ziggurat) draws a different
//! stream, which would change every seeded optimizer run and break resuming from a checkpoint
//! written by an earlier build; and the polar method's spare value is state that must go into
//! the checkpoint, which a stateless sampler has no place for.

use rand_core::{Rng as _, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct NormalRng {
    core: Xoshiro256PlusPlus,
    /// The second value of the last polar pair, handed out by the next call.
    spare: Option<f64>,
}

impl NormalRng {
    pub fn seed_from_u64(seed: u64) -> Self {
        Self {
            core: Xoshiro256PlusPlus::seed_from_u64(seed),
            spare: None,
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in `[0, 1)` with 53 random bits.
    pub fn uniform(&mut self) -> f64 {
        (self.core.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Uniform integer in `0..n` (`n > 0`), without modulo bias (rejection).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "below(0)");
        let zone = u64::MAX - (u64::MAX % n);
        loop {
            let v = self.core.next_u64();
            if v < zone {
                return v % n;
            }
        }
    }

    /// Standard normal, by the Marsaglia polar method.
    pub fn gaussian(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
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

    /// Fisher–Yates shuffle.
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
    fn gaussian_has_unit_moments() {
        let mut rng = NormalRng::seed_from_u64(7);
        let n = 200_000;
        let xs: Vec<f64> = (0..n).map(|_| rng.gaussian()).collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "var {var}");
    }

    #[test]
    fn serialised_state_continues_the_same_stream() {
        let mut rng = NormalRng::seed_from_u64(3);
        rng.gaussian(); // leaves a spare behind
        let text = serde_json::to_string(&rng).unwrap();
        let mut copy: NormalRng = serde_json::from_str(&text).unwrap();
        for _ in 0..10 {
            assert_eq!(rng.gaussian().to_bits(), copy.gaussian().to_bits());
        }
    }

    #[test]
    fn shuffle_is_a_permutation() {
        let mut rng = NormalRng::seed_from_u64(1);
        let mut v: Vec<u32> = (0..50).collect();
        rng.shuffle(&mut v);
        let mut sorted = v.clone();
        sorted.sort();
        assert_eq!(sorted, (0..50).collect::<Vec<_>>());
        assert_ne!(v, sorted);
    }
}
