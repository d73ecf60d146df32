//! Test functions for the optimizer (all minimised, optimum 0).

use std::fmt;
use std::str::FromStr;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Objective {
    Sphere,
    Ellipsoid,
    Rosenbrock,
    Rastrigin,
}

impl Objective {
    pub const ALL: [Objective; 4] = [
        Objective::Sphere,
        Objective::Ellipsoid,
        Objective::Rosenbrock,
        Objective::Rastrigin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Sphere => "sphere",
            Objective::Ellipsoid => "ellipsoid",
            Objective::Rosenbrock => "rosenbrock",
            Objective::Rastrigin => "rastrigin",
        }
    }

    pub fn eval(self, x: &[f64]) -> f64 {
        match self {
            Objective::Sphere => x.iter().map(|v| v * v).sum(),
            Objective::Ellipsoid => {
                let n = x.len();
                if n == 1 {
                    return x[0] * x[0];
                }
                x.iter()
                    .enumerate()
                    .map(|(i, v)| 10f64.powf(6.0 * i as f64 / (n - 1) as f64) * v * v)
                    .sum()
            }
            Objective::Rosenbrock => x
                .windows(2)
                .map(|w| 100.0 * (w[1] - w[0] * w[0]).powi(2) + (1.0 - w[0]).powi(2))
                .sum(),
            Objective::Rastrigin => {
                10.0 * x.len() as f64
                    + x.iter()
                        .map(|v| v * v - 10.0 * (2.0 * std::f64::consts::PI * v).cos())
                        .sum::<f64>()
            }
        }
    }
}

impl fmt::Display for Objective {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown objective `{0}` (valid: sphere, ellipsoid, rosenbrock, rastrigin)")]
pub struct UnknownObjective(pub String);

impl FromStr for Objective {
    type Err = UnknownObjective;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Objective::ALL
            .into_iter()
            .find(|o| o.as_str() == s)
            .ok_or_else(|| UnknownObjective(s.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optima_are_zero() {
        let zeros = vec![0.0; 5];
        let ones = vec![1.0; 5];
        assert_eq!(Objective::Sphere.eval(&zeros), 0.0);
        assert_eq!(Objective::Ellipsoid.eval(&zeros), 0.0);
        assert_eq!(Objective::Rosenbrock.eval(&ones), 0.0);
        assert!(Objective::Rastrigin.eval(&zeros).abs() < 1e-12);
    }

    #[test]
    fn ellipsoid_conditioning_spans_1e6() {
        let mut e0 = vec![0.0; 4];
        e0[0] = 1.0;
        let mut e3 = vec![0.0; 4];
        e3[3] = 1.0;
        assert_eq!(Objective::Ellipsoid.eval(&e0), 1.0);
        assert!((Objective::Ellipsoid.eval(&e3) - 1e6).abs() < 1e-6);
    }

    #[test]
    fn names_round_trip() {
        for o in Objective::ALL {
            assert_eq!(o.as_str().parse::<Objective>().unwrap(), o);
        }
        assert!("cigar".parse::<Objective>().is_err());
    }
}
