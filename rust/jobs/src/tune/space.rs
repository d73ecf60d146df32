//! The search space: every weight of `WEIGHT_SPEC` mapped linearly from its bounds onto
//! `[0, 1]`, so one CMA-ES step size fits weights whose ranges differ by orders of magnitude.

use ew_engine::Weights;
use ew_engine::weights::WEIGHT_SPEC;

pub fn dim() -> usize {
    WEIGHT_SPEC.len()
}

pub fn names() -> Vec<String> {
    WEIGHT_SPEC.iter().map(|d| d.name.to_string()).collect()
}

/// Normalised point of a weights vector.
pub fn to_unit(w: &Weights) -> Vec<f64> {
    w.values
        .iter()
        .zip(WEIGHT_SPEC)
        .map(|(v, d)| {
            let (lo, hi) = (f64::from(d.min), f64::from(d.max));
            ((f64::from(*v) - lo) / (hi - lo)).clamp(0.0, 1.0)
        })
        .collect()
}

/// Weights of a normalised point (clamped into the box).
pub fn from_unit(x: &[f64]) -> Weights {
    let raw: Vec<f64> = x
        .iter()
        .zip(WEIGHT_SPEC)
        .map(|(u, d)| {
            let (lo, hi) = (f64::from(d.min), f64::from(d.max));
            lo + u.clamp(0.0, 1.0) * (hi - lo)
        })
        .collect();
    Weights::from_values(&raw).expect("one value per spec entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_through_the_unit_box() {
        let w = Weights::default();
        let x = to_unit(&w);
        assert!(x.iter().all(|v| (0.0..=1.0).contains(v)));
        let back = from_unit(&x);
        for (a, b) in back.values.iter().zip(w.values.iter()) {
            assert!((a - b).abs() <= 1e-5 * b.abs().max(1.0), "{a} vs {b}");
        }
    }

    #[test]
    fn corners_map_to_bounds() {
        let lo = from_unit(&vec![0.0; dim()]);
        let hi = from_unit(&vec![1.0; dim()]);
        for ((l, h), d) in lo.values.iter().zip(hi.values.iter()).zip(WEIGHT_SPEC) {
            assert_eq!((*l, *h), (d.min, d.max));
        }
    }
}
