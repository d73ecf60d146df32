//! The optimizer on test objectives, its checkpoints and its input checks.

use super::*;
use crate::objectives::Objective;

fn minimise(obj: Objective, n: usize, seed: u64, bounded: bool, target: f64) -> (u64, f64) {
    let (lo, hi) = (-5.0, 5.0);
    let mut init = NormalRng::seed_from_u64(seed ^ 0xABCD);
    let mean: Vec<f64> = (0..n)
        .map(|_| {
            let raw = -4.0 + 8.0 * init.uniform();
            if bounded { (raw - lo) / (hi - lo) } else { raw }
        })
        .collect();
    let sigma = if bounded { 0.2 } else { 2.0 };
    let mut es = Cmaes::new(CmaesParams {
        mean,
        sigma,
        population: None,
        seed,
        bounded,
    })
    .unwrap();
    let mut best = f64::INFINITY;
    while es.evaluations() < 200_000 {
        let xs = es.ask();
        let fs: Vec<f64> = xs
            .iter()
            .map(|x| {
                let raw: Vec<f64> = if bounded {
                    x.iter().map(|v| lo + (hi - lo) * v).collect()
                } else {
                    x.clone()
                };
                obj.eval(&raw)
            })
            .collect();
        best = fs.iter().cloned().fold(best, f64::min);
        es.tell(&fs).unwrap();
        if best <= target {
            break;
        }
    }
    (es.evaluations(), best)
}

#[test]
fn default_population_follows_formula() {
    assert_eq!(default_population(10), 10);
    assert_eq!(default_population(28), 13);
    assert_eq!(default_population(2), 6);
}

#[test]
fn weights_sum_to_one_over_the_best_half() {
    let k = Constants::new(10, 10);
    let pos: f64 = k.weights.iter().take(k.mu).sum();
    assert!((pos - 1.0).abs() < 1e-12);
    assert!(k.weights[k.mu..].iter().all(|w| *w <= 0.0));
    assert!(k.mueff > 1.0 && k.mueff < k.mu as f64);
}

#[test]
fn converges_on_sphere_free_and_bounded() {
    for bounded in [false, true] {
        let (evals, best) = minimise(Objective::Sphere, 10, 1, bounded, 1e-10);
        assert!(best <= 1e-10, "bounded={bounded} best={best}");
        assert!(evals < 3_000, "bounded={bounded} evals={evals}");
    }
}

#[test]
fn learns_ill_conditioned_ellipsoid() {
    let (evals, best) = minimise(Objective::Ellipsoid, 10, 2, true, 1e-8);
    assert!(best <= 1e-8, "best={best}");
    // A method without covariance learning needs far more on a 1e6 condition number.
    assert!(evals < 10_000, "evals={evals}");
}

#[test]
fn follows_rosenbrock_valley() {
    let (evals, best) = minimise(Objective::Rosenbrock, 10, 3, true, 1e-8);
    assert!(best <= 1e-8, "best={best}");
    assert!(evals < 15_000, "evals={evals}");
}

#[test]
fn rastrigin_improves_with_large_population() {
    let n = 5;
    let mut es = Cmaes::new(CmaesParams {
        mean: vec![0.8; n],
        sigma: 0.3,
        population: Some(100),
        seed: 4,
        bounded: true,
    })
    .unwrap();
    let f = |x: &Vec<f64>| {
        let raw: Vec<f64> = x.iter().map(|v| -5.0 + 10.0 * v).collect();
        Objective::Rastrigin.eval(&raw)
    };
    let start = f(&es.mean().to_vec());
    let mut best = f64::INFINITY;
    for _ in 0..150 {
        let xs = es.ask();
        let fs: Vec<f64> = xs.iter().map(f).collect();
        best = fs.iter().cloned().fold(best, f64::min);
        es.tell(&fs).unwrap();
    }
    assert!(best < 2.0 && best < start, "start={start} best={best}");
}

#[test]
fn bounded_candidates_stay_in_box_and_spread_from_edges() {
    // Mean on a corner, large sigma: clipping would put about half of every coordinate
    // exactly on the face; mirroring must not.
    let mut es = Cmaes::new(CmaesParams {
        mean: vec![0.0; 6],
        sigma: 0.5,
        population: Some(50),
        seed: 9,
        bounded: true,
    })
    .unwrap();
    let xs = es.ask();
    let coords: Vec<f64> = xs.iter().flatten().copied().collect();
    assert!(coords.iter().all(|v| (0.0..=1.0).contains(v)));
    let on_face = coords.iter().filter(|v| **v == 0.0 || **v == 1.0).count();
    assert!(on_face * 20 < coords.len(), "{on_face} of {}", coords.len());
}

#[test]
fn checkpoint_resumes_identically() {
    let obj = Objective::Rosenbrock;
    let params = CmaesParams {
        mean: vec![0.3; 8],
        sigma: 0.2,
        population: None,
        seed: 5,
        bounded: true,
    };
    let run = |es: &mut Cmaes, gens: usize| {
        for _ in 0..gens {
            let xs = es.ask();
            let fs: Vec<f64> = xs.iter().map(|x| obj.eval(x)).collect();
            es.tell(&fs).unwrap();
        }
    };
    let mut whole = Cmaes::new(params.clone()).unwrap();
    run(&mut whole, 40);
    let mut first = Cmaes::new(params).unwrap();
    run(&mut first, 17);
    let text = serde_json::to_string(&first).unwrap();
    let mut resumed: Cmaes = serde_json::from_str(&text).unwrap();
    assert_eq!(resumed, first);
    run(&mut resumed, 23);
    assert_eq!(resumed, whole);
}

#[test]
fn tell_checks_its_input() {
    let mut es = Cmaes::new(CmaesParams {
        mean: vec![0.5; 3],
        sigma: 0.1,
        population: Some(4),
        seed: 1,
        bounded: true,
    })
    .unwrap();
    assert_eq!(es.tell(&[1.0; 4]), Err(CmaesError::NoPendingGeneration));
    es.ask();
    assert_eq!(
        es.tell(&[1.0; 3]),
        Err(CmaesError::FitnessCount {
            expected: 4,
            got: 3
        })
    );
    assert!(es.tell(&[1.0, f64::NAN, 0.0, 2.0]).is_ok());
}

#[test]
fn rejects_bad_settings() {
    let p = |mean: Vec<f64>, sigma, population| CmaesParams {
        mean,
        sigma,
        population,
        seed: 0,
        bounded: true,
    };
    assert_eq!(
        Cmaes::new(p(vec![], 0.1, None)).err(),
        Some(CmaesError::NoDimensions)
    );
    assert_eq!(
        Cmaes::new(p(vec![0.5], 0.0, None)).err(),
        Some(CmaesError::Sigma(0.0))
    );
    assert_eq!(
        Cmaes::new(p(vec![0.5], 0.1, Some(1))).err(),
        Some(CmaesError::Population(1))
    );
    assert!(matches!(
        Cmaes::new(p(vec![0.5, 1.5], 0.1, None)),
        Err(CmaesError::MeanOutOfBox { index: 1, .. })
    ));
}

#[test]
fn mirror_folds_into_unit_interval() {
    assert_eq!(mirror_into_unit(0.25), 0.25);
    assert_eq!(mirror_into_unit(1.25), 0.75);
    assert_eq!(mirror_into_unit(-0.25), 0.25);
    assert_eq!(mirror_into_unit(2.5), 0.5);
    assert_eq!(mirror_into_unit(f64::NAN), 0.5);
}

#[test]
fn stagnation_needs_a_full_window_without_progress() {
    let improving: Vec<f64> = (0..50).map(|i| -(i as f64)).collect();
    assert!(!stagnated(&improving, 20));
    let flat = vec![1.0; 50];
    assert!(stagnated(&flat, 20));
    assert!(!stagnated(&flat[..10], 20));
    assert!(!stagnated(&flat, 0));
}
