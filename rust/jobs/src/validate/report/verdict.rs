//! The balance verdict: thresholds, which rates are flagged, and the warnings.

use ew_common::stats::{Z95, wilson_z};
use serde::{Deserialize, Serialize};

use super::matchup::MatchupResult;
use super::tallies::{DeckStats, FactionStats, FirstSeat};

/// The verdict thresholds and the interval quantiles; see `docs/validate.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// The normal quantile of every reported interval (the `*ci95` fields and the intervals
    /// in the warning messages); the default gives the 95% their names promise.
    pub z: f64,
    pub faction_warning: f64,
    pub faction_imbalanced: f64,
    pub deck_warning: f64,
    pub deck_imbalanced: f64,
    pub matchup_warning: f64,
    pub matchup_imbalanced: f64,
    pub first_seat_warning: f64,
    pub first_seat_imbalanced: f64,
    /// The z of the interval that must exclude 0.5 before a rate is flagged: stricter than
    /// the reported 95% intervals, because a run tests dozens of rates at once.
    pub flag_z: f64,
    pub require_significance: bool,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            z: Z95,
            faction_warning: 0.55,
            faction_imbalanced: 0.60,
            deck_warning: 0.60,
            deck_imbalanced: 0.65,
            matchup_warning: 0.65,
            matchup_imbalanced: 0.75,
            first_seat_warning: 0.55,
            first_seat_imbalanced: 0.60,
            flag_z: 3.0,
            require_significance: true,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Balanced,
    Warning,
    Imbalanced,
}

impl Verdict {
    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Balanced => "balanced",
            Verdict::Warning => "warning",
            Verdict::Imbalanced => "imbalanced",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Warning {
    pub level: Verdict,
    pub kind: String,
    pub subject: String,
    pub win_rate: f64,
    pub ci95: [f64; 2],
    pub threshold: f64,
    pub message: String,
}

/// The level a rate is flagged at, if any, with the threshold of that level.
fn flag(
    rate: f64,
    games: u64,
    warn: f64,
    imbalanced: f64,
    t: &Thresholds,
) -> Option<(Verdict, f64)> {
    let [lo, hi] = wilson_z(rate, games, t.flag_z);
    let significant = !t.require_significance || lo > 0.5 || hi < 0.5;
    if !significant {
        return None;
    }
    let outside = |th: f64| rate > th || rate < 1.0 - th;
    if outside(imbalanced) {
        Some((Verdict::Imbalanced, imbalanced))
    } else if outside(warn) {
        Some((Verdict::Warning, warn))
    } else {
        None
    }
}

fn warning(
    kind: &str,
    subject: &str,
    rate: f64,
    ci: [f64; 2],
    (level, t): (Verdict, f64),
) -> Warning {
    let message = format!(
        "{} {subject}: {:.1}% (95% CI {:.1}-{:.1}%) outside {:.0}-{:.0}%",
        kind.replace('_', " "),
        100.0 * rate,
        100.0 * ci[0],
        100.0 * ci[1],
        100.0 * (1.0 - t),
        100.0 * t
    );
    Warning {
        level,
        kind: kind.into(),
        subject: subject.into(),
        win_rate: rate,
        ci95: ci,
        threshold: t,
        message,
    }
}

fn by_deviation_desc<T>(items: &mut [(f64, T)]) {
    // Stable: equal deviations keep canonical order.
    items.sort_by(|x, y| y.0.total_cmp(&x.0));
}

/// Every flagged rate, in the order of `docs/validate.md`.
pub fn warnings(
    t: &Thresholds,
    fs: &FirstSeat,
    factions: &[FactionStats],
    decks: &[DeckStats],
    matchups: &[MatchupResult],
) -> Vec<Warning> {
    let mut out = Vec::new();
    if fs.games > 0
        && let Some(l) = flag(
            fs.win_rate,
            fs.games,
            t.first_seat_warning,
            t.first_seat_imbalanced,
            t,
        )
    {
        out.push(warning("first_seat", "first seat", fs.win_rate, fs.ci95, l));
    }
    for f in factions {
        if let Some(l) = flag(
            f.win_rate,
            f.games,
            t.faction_warning,
            t.faction_imbalanced,
            t,
        ) {
            out.push(warning(
                "faction",
                &f.faction,
                f.win_rate,
                f.win_rate_ci95,
                l,
            ));
        }
    }
    let mut deck_flags: Vec<(f64, Warning)> = decks
        .iter()
        .filter_map(|d| {
            flag(d.win_rate, d.games, t.deck_warning, t.deck_imbalanced, t).map(|l| {
                (
                    (d.win_rate - 0.5).abs(),
                    warning("deck", &d.deck, d.win_rate, d.win_rate_ci95, l),
                )
            })
        })
        .collect();
    by_deviation_desc(&mut deck_flags);
    out.extend(deck_flags.into_iter().map(|(_, w)| w));
    let mut matchup_flags: Vec<(f64, Warning)> = matchups
        .iter()
        .filter_map(|m| {
            flag(
                m.a_win_rate,
                m.games,
                t.matchup_warning,
                t.matchup_imbalanced,
                t,
            )
            .map(|l| {
                let subject = format!("{} vs {}", m.deck_a, m.deck_b);
                (
                    (m.a_win_rate - 0.5).abs(),
                    warning("matchup", &subject, m.a_win_rate, m.a_win_rate_ci95, l),
                )
            })
        })
        .collect();
    by_deviation_desc(&mut matchup_flags);
    out.extend(matchup_flags.into_iter().map(|(_, w)| w));
    out
}

/// The highest level of any warning.
pub fn verdict(warnings: &[Warning]) -> Verdict {
    warnings
        .iter()
        .map(|w| w.level)
        .max()
        .unwrap_or(Verdict::Balanced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warning_message_format() {
        let w = warning(
            "first_seat",
            "first seat",
            0.583,
            [0.551, 0.614],
            (Verdict::Warning, 0.55),
        );
        assert_eq!(
            w.message,
            "first seat first seat: 58.3% (95% CI 55.1-61.4%) outside 45-55%"
        );
    }

    #[test]
    fn a_flag_needs_significance_and_distance() {
        let t = Thresholds::default();
        // 10-0 is far and significant at flag_z = 3; 4-0 is far but not significant.
        assert_eq!(
            flag(1.0, 10, 0.65, 0.75, &t),
            Some((Verdict::Imbalanced, 0.75))
        );
        assert_eq!(flag(1.0, 4, 0.65, 0.75, &t), None);
        // Significant but inside the warning band.
        assert_eq!(flag(0.6, 100_000, 0.65, 0.75, &t), None);
        let lax = Thresholds {
            require_significance: false,
            ..Thresholds::default()
        };
        assert_eq!(
            flag(1.0, 4, 0.65, 0.75, &lax),
            Some((Verdict::Imbalanced, 0.75))
        );
    }
}
