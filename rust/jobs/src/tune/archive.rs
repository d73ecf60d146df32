//! The archive: the best few candidates seen so far, replayed every generation on that
//! generation's deals and ranked by the Wilson 95% lower bound of their average in-training
//! fitness over every game they played. One lucky evaluation makes a candidate "best ever";
//! ranking by the average alone still lets each generation's luckiest fresh sample push out
//! members that have held their level over several generations, so finalists would have one
//! generation behind them. The lower bound charges a member for how little it has been seen.

use ew_common::stats::wilson;
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    /// The normalised point.
    pub x: Vec<f64>,
    /// Sum of its in-training fitnesses and the number of generations they came from.
    pub fitness_sum: f64,
    pub gens: u32,
    /// Games behind the average (games per evaluation vary when they grow with `--games-max`).
    #[serde(default)]
    pub games: u64,
    /// The generation it was sampled in.
    #[serde(rename = "gen")]
    pub generation: u64,
}

impl Member {
    pub fn average(&self) -> f64 {
        self.fitness_sum / f64::from(self.gens.max(1))
    }

    /// The rank key: the Wilson 95% lower bound of the average over the games behind it. The
    /// fitness is a mix of win rates, each a proportion, so the bound is that of a proportion
    /// observed over the same number of games.
    pub fn lower_bound(&self) -> f64 {
        wilson(self.average(), self.games)[0]
    }
}

/// Adds this generation's fitness of every member (`replayed`, in member order, each over
/// `games` games), enters the generation's candidates (`sampled`: point and fitness), and keeps
/// the `size` best by lower bound. Ties keep the longer-seen member, then the earlier entry, so
/// the result depends only on the values.
pub fn update(
    archive: &mut Vec<Member>,
    replayed: &[f64],
    sampled: &[(Vec<f64>, f64)],
    games: u64,
    generation: u64,
    size: usize,
) {
    for (m, f) in archive.iter_mut().zip(replayed) {
        m.fitness_sum += f;
        m.gens += 1;
        m.games += games;
    }
    archive.extend(sampled.iter().map(|(x, f)| Member {
        x: x.clone(),
        fitness_sum: *f,
        gens: 1,
        games,
        generation,
    }));
    archive.sort_by(|a, b| {
        b.lower_bound()
            .total_cmp(&a.lower_bound())
            .then(b.gens.cmp(&a.gens))
    });
    archive.truncate(size);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_ranked_by_their_lower_bound() {
        let mut a = Vec::new();
        update(
            &mut a,
            &[],
            &[(vec![0.1], 0.7), (vec![0.2], 0.5), (vec![0.3], 0.6)],
            1000,
            1,
            2,
        );
        assert_eq!(a.iter().map(|m| m.x[0]).collect::<Vec<_>>(), [0.1, 0.3]);
        // The lucky first one falls back on replay; a newcomer enters.
        update(&mut a, &[0.4, 0.62], &[(vec![0.4], 0.58)], 1000, 2, 2);
        let got: Vec<(f64, u32)> = a.iter().map(|m| (m.x[0], m.gens)).collect();
        assert_eq!(got, [(0.3, 2), (0.4, 1)]);
        assert!((a[0].average() - 0.61).abs() < 1e-12);
        update(&mut a, &[0.6, 0.6], &[], 1000, 3, 0);
        assert!(a.is_empty());
    }

    #[test]
    fn ties_keep_the_longer_seen_member() {
        let mut a = vec![Member {
            x: vec![0.0],
            fitness_sum: 1.0,
            gens: 1,
            games: 100,
            generation: 1,
        }];
        update(&mut a, &[0.5], &[(vec![1.0], 0.75)], 100, 2, 1);
        assert_eq!((a[0].x[0], a[0].gens), (0.0, 2));
        update(&mut a, &[0.75], &[(vec![2.0], 0.75)], 100, 3, 1);
        assert_eq!((a[0].x[0], a[0].gens), (0.0, 3));
    }

    #[test]
    fn a_lucky_newcomer_does_not_displace_a_steady_member() {
        // Four generations at 0.600 over 3,000 games each, against one draw of 0.605: the
        // average alone would swap them; the lower bound (0.591 against 0.587) does not.
        let mut a = vec![Member {
            x: vec![0.0],
            fitness_sum: 1.8,
            gens: 3,
            games: 9000,
            generation: 1,
        }];
        update(&mut a, &[0.6], &[(vec![1.0], 0.605)], 3000, 5, 1);
        assert_eq!((a[0].x[0], a[0].gens, a[0].games), (0.0, 4, 12000));
        assert!(a[0].lower_bound() < a[0].average());
        // A clearly better newcomer still gets in.
        update(&mut a, &[0.6], &[(vec![2.0], 0.66)], 3000, 6, 1);
        assert_eq!(a[0].x[0], 2.0);
    }
}
