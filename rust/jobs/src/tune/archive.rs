//! The archive: the best few candidates seen so far, replayed every generation on that
//! generation's deals and ranked by their average in-training fitness. One lucky evaluation
//! makes a candidate "best ever"; an average over several generations' deals does not reward
//! luck as much, so the archive's top is a fairer finalist.

use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The normalised point.
    pub x: Vec<f64>,
    /// Sum of its in-training fitnesses and the number of generations they came from.
    pub fitness_sum: f64,
    pub gens: u32,
    /// The generation it was sampled in.
    #[serde(rename = "gen")]
    pub generation: u64,
}

impl Member {
    pub fn average(&self) -> f64 {
        self.fitness_sum / f64::from(self.gens.max(1))
    }
}

/// Adds this generation's fitness of every member (`replayed`, in member order), enters the
/// generation's candidates (`sampled`: point and fitness), and keeps the `size` best by
/// average. Ties keep the longer-seen member, then the earlier entry, so the result depends
/// only on the values.
pub fn update(
    archive: &mut Vec<Member>,
    replayed: &[f64],
    sampled: &[(Vec<f64>, f64)],
    generation: u64,
    size: usize,
) {
    for (m, f) in archive.iter_mut().zip(replayed) {
        m.fitness_sum += f;
        m.gens += 1;
    }
    archive.extend(sampled.iter().map(|(x, f)| Member {
        x: x.clone(),
        fitness_sum: *f,
        gens: 1,
        generation,
    }));
    archive.sort_by(|a, b| {
        b.average()
            .total_cmp(&a.average())
            .then(b.gens.cmp(&a.gens))
    });
    archive.truncate(size);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_ranked_by_their_average() {
        let mut a = Vec::new();
        update(
            &mut a,
            &[],
            &[(vec![0.1], 0.7), (vec![0.2], 0.5), (vec![0.3], 0.6)],
            1,
            2,
        );
        assert_eq!(a.iter().map(|m| m.x[0]).collect::<Vec<_>>(), [0.1, 0.3]);
        // The lucky first one falls back on replay; a newcomer enters.
        update(&mut a, &[0.4, 0.62], &[(vec![0.4], 0.58)], 2, 2);
        let got: Vec<(f64, u32)> = a.iter().map(|m| (m.x[0], m.gens)).collect();
        assert_eq!(got, [(0.3, 2), (0.4, 1)]);
        assert!((a[0].average() - 0.61).abs() < 1e-12);
        update(&mut a, &[0.6, 0.6], &[], 3, 0);
        assert!(a.is_empty());
    }

    #[test]
    fn ties_keep_the_longer_seen_member() {
        let mut a = vec![Member {
            x: vec![0.0],
            fitness_sum: 1.0,
            gens: 1,
            generation: 1,
        }];
        update(&mut a, &[0.5], &[(vec![1.0], 0.75)], 2, 1);
        assert_eq!((a[0].x[0], a[0].gens), (0.0, 2));
        update(&mut a, &[0.75], &[(vec![2.0], 0.75)], 3, 1);
        assert_eq!((a[0].x[0], a[0].gens), (0.0, 3));
    }
}
