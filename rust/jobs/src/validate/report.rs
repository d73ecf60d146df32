//! `results.json` of a validation, built from the matchup results alone, and `summary.txt`.
//!
//! Every formula and ordering here is specified in `docs/validate.md` so that another tool can
//! merge partial runs and get exactly what one run would have written.

use std::fmt::Write as _;

use ew_common::stats::{Z95, binomial_two_sided_half, score, wilson, wilson_z};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One finished matchup (both seat orders).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MatchupResult {
    pub deck_a: String,
    pub deck_b: String,
    pub faction_a: String,
    pub faction_b: String,
    pub games: u64,
    pub a_wins: u64,
    pub b_wins: u64,
    pub draws: u64,
    pub a_wins_as_first: u64,
    pub b_wins_as_first: u64,
    pub a_games_as_first: u64,
    pub b_games_as_first: u64,
    pub a_draws_as_first: u64,
    pub b_draws_as_first: u64,
    pub first_seat_wins: u64,
    pub turns: u64,
    pub avg_turns: f64,
    pub a_win_rate: f64,
    pub a_win_rate_ci95: [f64; 2],
    pub time_s: f64,
}

/// The result of one game, from the matchup's point of view.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GameRecord {
    /// Deck a moved first.
    pub a_first: bool,
    /// `Some(true)` deck a won, `Some(false)` deck b won, `None` a draw.
    pub a_won: Option<bool>,
    pub turns: u32,
    pub time_s: f64,
}

impl MatchupResult {
    pub fn from_games(
        deck_a: &str,
        faction_a: &str,
        deck_b: &str,
        faction_b: &str,
        games: &[GameRecord],
    ) -> Self {
        let mut m = MatchupResult {
            deck_a: deck_a.into(),
            deck_b: deck_b.into(),
            faction_a: faction_a.into(),
            faction_b: faction_b.into(),
            games: games.len() as u64,
            a_wins: 0,
            b_wins: 0,
            draws: 0,
            a_wins_as_first: 0,
            b_wins_as_first: 0,
            a_games_as_first: 0,
            b_games_as_first: 0,
            a_draws_as_first: 0,
            b_draws_as_first: 0,
            first_seat_wins: 0,
            turns: 0,
            avg_turns: 0.0,
            a_win_rate: 0.0,
            a_win_rate_ci95: [0.0, 1.0],
            time_s: 0.0,
        };
        for g in games {
            if g.a_first {
                m.a_games_as_first += 1;
            } else {
                m.b_games_as_first += 1;
            }
            match (g.a_won, g.a_first) {
                (Some(true), first) => {
                    m.a_wins += 1;
                    m.a_wins_as_first += u64::from(first);
                }
                (Some(false), first) => {
                    m.b_wins += 1;
                    m.b_wins_as_first += u64::from(!first);
                }
                (None, true) => {
                    m.draws += 1;
                    m.a_draws_as_first += 1;
                }
                (None, false) => {
                    m.draws += 1;
                    m.b_draws_as_first += 1;
                }
            }
            m.turns += u64::from(g.turns);
            m.time_s += g.time_s;
        }
        m.first_seat_wins = m.a_wins_as_first + m.b_wins_as_first;
        m.avg_turns = ratio(m.turns, m.games);
        m.a_win_rate = score(m.a_wins, m.draws, m.games);
        m.a_win_rate_ci95 = wilson(m.a_win_rate, m.games);
        m
    }
}

fn ratio(num: u64, den: u64) -> f64 {
    if den == 0 {
        0.0
    } else {
        num as f64 / den as f64
    }
}

/// Rank of a faction name in the fixed order (unknown names last).
fn faction_rank(f: &str) -> usize {
    ["argentum", "symbiote", "obsidion"]
        .iter()
        .position(|x| *x == f)
        .unwrap_or(usize::MAX)
}

/// Canonical position of a matchup: faction pair, then deck a id, then deck b id.
pub fn matchup_key(m: &MatchupResult) -> (usize, usize, Vec<u8>, Vec<u8>) {
    (
        faction_rank(&m.faction_a),
        faction_rank(&m.faction_b),
        m.deck_a.as_bytes().to_vec(),
        m.deck_b.as_bytes().to_vec(),
    )
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OpponentRate {
    pub opponent: String,
    pub faction: String,
    pub win_rate: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DeckStats {
    pub deck: String,
    pub faction: String,
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub games_as_first: u64,
    pub wins_as_first: u64,
    pub draws_as_first: u64,
    pub turns: u64,
    pub avg_turns: f64,
    pub win_rate: f64,
    pub win_rate_ci95: [f64; 2],
    pub win_rate_as_first: f64,
    pub best_matchup: Option<OpponentRate>,
    pub worst_matchup: Option<OpponentRate>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactionStats {
    pub faction: String,
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub win_rate: f64,
    pub win_rate_ci95: [f64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FactionPairStats {
    pub faction_a: String,
    pub faction_b: String,
    pub games: u64,
    pub a_wins: u64,
    pub b_wins: u64,
    pub draws: u64,
    pub a_win_rate: f64,
    pub a_win_rate_ci95: [f64; 2],
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FirstSeat {
    pub games: u64,
    pub wins: u64,
    pub losses: u64,
    pub draws: u64,
    pub win_rate: f64,
    pub ci95: [f64; 2],
    pub p_value: f64,
    pub test: String,
}

/// The verdict thresholds; see `docs/validate.md`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
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

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Extremes {
    pub weakest_deck: Option<String>,
    pub strongest_deck: Option<String>,
    pub most_lopsided_matchup: Option<[String; 2]>,
}

/// The whole `results.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Results {
    pub version: u32,
    pub config: serde_json::Value,
    pub matchups: Vec<MatchupResult>,
    pub decks: Vec<DeckStats>,
    pub factions: Vec<FactionStats>,
    pub faction_pairs: Vec<FactionPairStats>,
    pub first_seat: FirstSeat,
    pub verdict: Verdict,
    pub thresholds: Thresholds,
    pub warnings: Vec<Warning>,
    pub extremes: Extremes,
    pub games: u64,
    pub time_s: f64,
}

impl Results {
    /// Builds every summary from the matchups (sorted into canonical order first).
    pub fn build(
        config: serde_json::Value,
        mut matchups: Vec<MatchupResult>,
        thresholds: Thresholds,
        time_s: f64,
    ) -> Results {
        matchups.sort_by_key(matchup_key);
        let decks = deck_stats(&matchups);
        let factions = faction_stats(&matchups);
        let faction_pairs = faction_pair_stats(&matchups);
        let first_seat = first_seat(&matchups);
        let warnings = warnings(&thresholds, &first_seat, &factions, &decks, &matchups);
        let verdict = warnings
            .iter()
            .map(|w| w.level)
            .max()
            .unwrap_or(Verdict::Balanced);
        let extremes = extremes(&decks, &matchups);
        let games = matchups.iter().map(|m| m.games).sum();
        Results {
            version: 1,
            config,
            matchups,
            decks,
            factions,
            faction_pairs,
            first_seat,
            verdict,
            thresholds,
            warnings,
            extremes,
            games,
            time_s,
        }
    }
}

/// One deck's view of a matchup: (opponent, opponent faction, wins, losses, draws, games as
/// first, wins as first, draws as first).
struct Side<'a> {
    deck: &'a str,
    faction: &'a str,
    opponent: &'a str,
    opponent_faction: &'a str,
    wins: u64,
    losses: u64,
    draws: u64,
    games_as_first: u64,
    wins_as_first: u64,
    draws_as_first: u64,
}

fn sides(m: &MatchupResult) -> [Side<'_>; 2] {
    [
        Side {
            deck: &m.deck_a,
            faction: &m.faction_a,
            opponent: &m.deck_b,
            opponent_faction: &m.faction_b,
            wins: m.a_wins,
            losses: m.b_wins,
            draws: m.draws,
            games_as_first: m.a_games_as_first,
            wins_as_first: m.a_wins_as_first,
            draws_as_first: m.a_draws_as_first,
        },
        Side {
            deck: &m.deck_b,
            faction: &m.faction_b,
            opponent: &m.deck_a,
            opponent_faction: &m.faction_a,
            wins: m.b_wins,
            losses: m.a_wins,
            draws: m.draws,
            games_as_first: m.b_games_as_first,
            wins_as_first: m.b_wins_as_first,
            draws_as_first: m.b_draws_as_first,
        },
    ]
}

fn deck_order_key(faction: &str, deck: &str) -> (usize, Vec<u8>) {
    (faction_rank(faction), deck.as_bytes().to_vec())
}

fn deck_stats(matchups: &[MatchupResult]) -> Vec<DeckStats> {
    let mut decks: Vec<(String, String)> = matchups
        .iter()
        .flat_map(|m| {
            [
                (m.faction_a.clone(), m.deck_a.clone()),
                (m.faction_b.clone(), m.deck_b.clone()),
            ]
        })
        .collect();
    decks.sort_by_key(|(f, d)| deck_order_key(f, d));
    decks.dedup();
    decks
        .into_iter()
        .map(|(faction, deck)| {
            let mut s = DeckStats {
                deck: deck.clone(),
                faction,
                games: 0,
                wins: 0,
                losses: 0,
                draws: 0,
                games_as_first: 0,
                wins_as_first: 0,
                draws_as_first: 0,
                turns: 0,
                avg_turns: 0.0,
                win_rate: 0.0,
                win_rate_ci95: [0.0, 1.0],
                win_rate_as_first: 0.0,
                best_matchup: None,
                worst_matchup: None,
            };
            // (opponent canonical key, rate) of each matchup, for best and worst.
            let mut rates: Vec<((usize, Vec<u8>), OpponentRate)> = Vec::new();
            for m in matchups {
                for side in sides(m) {
                    if side.deck != deck {
                        continue;
                    }
                    s.games += m.games;
                    s.wins += side.wins;
                    s.losses += side.losses;
                    s.draws += side.draws;
                    s.games_as_first += side.games_as_first;
                    s.wins_as_first += side.wins_as_first;
                    s.draws_as_first += side.draws_as_first;
                    s.turns += m.turns;
                    rates.push((
                        deck_order_key(side.opponent_faction, side.opponent),
                        OpponentRate {
                            opponent: side.opponent.to_string(),
                            faction: side.opponent_faction.to_string(),
                            win_rate: score(side.wins, side.draws, m.games),
                        },
                    ));
                }
            }
            s.avg_turns = ratio(s.turns, s.games);
            s.win_rate = score(s.wins, s.draws, s.games);
            s.win_rate_ci95 = wilson(s.win_rate, s.games);
            s.win_rate_as_first = score(s.wins_as_first, s.draws_as_first, s.games_as_first);
            rates.sort_by(|x, y| x.0.cmp(&y.0));
            s.best_matchup = pick(&rates, |r, best| r > best);
            s.worst_matchup = pick(&rates, |r, worst| r < worst);
            s
        })
        .collect()
}

/// The first entry (in canonical opponent order) that no later entry beats under `better`.
fn pick<K>(rates: &[(K, OpponentRate)], better: impl Fn(f64, f64) -> bool) -> Option<OpponentRate> {
    let mut chosen: Option<&OpponentRate> = None;
    for (_, r) in rates {
        if chosen.is_none_or(|c| better(r.win_rate, c.win_rate)) {
            chosen = Some(r);
        }
    }
    chosen.cloned()
}

fn faction_stats(matchups: &[MatchupResult]) -> Vec<FactionStats> {
    ["argentum", "symbiote", "obsidion"]
        .iter()
        .filter_map(|f| {
            let mut s = FactionStats {
                faction: f.to_string(),
                games: 0,
                wins: 0,
                losses: 0,
                draws: 0,
                win_rate: 0.0,
                win_rate_ci95: [0.0, 1.0],
            };
            for m in matchups {
                for side in sides(m) {
                    if side.faction == *f {
                        s.games += m.games;
                        s.wins += side.wins;
                        s.losses += side.losses;
                        s.draws += side.draws;
                    }
                }
            }
            if s.games == 0 {
                return None;
            }
            s.win_rate = score(s.wins, s.draws, s.games);
            s.win_rate_ci95 = wilson(s.win_rate, s.games);
            Some(s)
        })
        .collect()
}

fn faction_pair_stats(matchups: &[MatchupResult]) -> Vec<FactionPairStats> {
    let mut out: Vec<FactionPairStats> = Vec::new();
    for m in matchups {
        let same = out
            .last()
            .is_some_and(|p| p.faction_a == m.faction_a && p.faction_b == m.faction_b);
        if !same {
            out.push(FactionPairStats {
                faction_a: m.faction_a.clone(),
                faction_b: m.faction_b.clone(),
                games: 0,
                a_wins: 0,
                b_wins: 0,
                draws: 0,
                a_win_rate: 0.0,
                a_win_rate_ci95: [0.0, 1.0],
            });
        }
        let p = out.last_mut().expect("pushed above");
        p.games += m.games;
        p.a_wins += m.a_wins;
        p.b_wins += m.b_wins;
        p.draws += m.draws;
    }
    for p in &mut out {
        p.a_win_rate = score(p.a_wins, p.draws, p.games);
        p.a_win_rate_ci95 = wilson(p.a_win_rate, p.games);
    }
    out
}

fn first_seat(matchups: &[MatchupResult]) -> FirstSeat {
    let games: u64 = matchups.iter().map(|m| m.games).sum();
    let wins: u64 = matchups.iter().map(|m| m.first_seat_wins).sum();
    let decisive: u64 = matchups.iter().map(|m| m.a_wins + m.b_wins).sum();
    let draws: u64 = matchups.iter().map(|m| m.draws).sum();
    let win_rate = score(wins, draws, games);
    FirstSeat {
        games,
        wins,
        losses: decisive - wins,
        draws,
        win_rate,
        ci95: wilson(win_rate, games),
        p_value: binomial_two_sided_half(wins, decisive),
        test: "exact_binomial_two_sided_decisive_games".into(),
    }
}

/// The level a rate is flagged at, if any.
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

fn warnings(
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

fn extremes(decks: &[DeckStats], matchups: &[MatchupResult]) -> Extremes {
    let mut weakest: Option<&DeckStats> = None;
    let mut strongest: Option<&DeckStats> = None;
    for d in decks {
        if weakest.is_none_or(|w| d.win_rate < w.win_rate) {
            weakest = Some(d);
        }
        if strongest.is_none_or(|s| d.win_rate > s.win_rate) {
            strongest = Some(d);
        }
    }
    let mut lopsided: Option<&MatchupResult> = None;
    for m in matchups {
        if lopsided.is_none_or(|l| (m.a_win_rate - 0.5).abs() > (l.a_win_rate - 0.5).abs()) {
            lopsided = Some(m);
        }
    }
    Extremes {
        weakest_deck: weakest.map(|d| d.deck.clone()),
        strongest_deck: strongest.map(|d| d.deck.clone()),
        most_lopsided_matchup: lopsided.map(|m| [m.deck_a.clone(), m.deck_b.clone()]),
    }
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn ci(c: [f64; 2]) -> String {
    format!("[{}, {}]", pct(c[0]), pct(c[1]))
}

/// `summary.txt`: the layout of `docs/validate.md`.
pub fn summary_text(r: &Results, bot_label: &str) -> String {
    let mut s = String::new();
    let games_per_order = r.config.get("games").and_then(|v| v.as_u64()).unwrap_or(0);
    let seed = r.config.get("seed").and_then(|v| v.as_u64()).unwrap_or(0);
    let _ = writeln!(s, "Essence Wars balance validation");
    let _ = writeln!(
        s,
        "bot {bot_label} · {games_per_order} games per seat order · seed {seed} · {} matchups · {} games · {:.1} s",
        r.matchups.len(),
        r.games,
        r.time_s
    );
    let _ = writeln!(s, "verdict: {}", r.verdict.as_str().to_uppercase());
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<22} {:>7}  {:<18} {:>7}",
        "Factions", "win%", "95% CI", "games"
    );
    for f in &r.factions {
        let _ = writeln!(
            s,
            "  {:<20} {:>7}  {:<18} {:>7}",
            f.faction,
            pct(f.win_rate),
            ci(f.win_rate_ci95),
            f.games
        );
    }
    let fs = &r.first_seat;
    let _ = writeln!(
        s,
        "{:<22} {:>7}  {:<18} {:>7}   p={:.4}",
        "First seat",
        pct(fs.win_rate),
        ci(fs.ci95),
        fs.games,
        fs.p_value
    );
    let _ = writeln!(s);
    let _ = writeln!(
        s,
        "{:<32} {:>7}  {:<18} {:<28} worst matchup",
        "Decks (best first)", "win%", "95% CI", "best matchup"
    );
    let mut decks: Vec<&DeckStats> = r.decks.iter().collect();
    decks.sort_by(|x, y| y.win_rate.total_cmp(&x.win_rate));
    let vs = |o: &Option<OpponentRate>| {
        o.as_ref()
            .map(|o| format!("vs {} {}", o.opponent, pct(o.win_rate)))
            .unwrap_or_default()
    };
    for d in decks {
        let _ = writeln!(
            s,
            "  {:<20} {:<9} {:>7}  {:<18} {:<28} {}",
            d.deck,
            d.faction,
            pct(d.win_rate),
            ci(d.win_rate_ci95),
            vs(&d.best_matchup),
            vs(&d.worst_matchup)
        );
    }
    for p in &r.faction_pairs {
        let rows: Vec<&MatchupResult> = r
            .matchups
            .iter()
            .filter(|m| m.faction_a == p.faction_a && m.faction_b == p.faction_b)
            .collect();
        let mut cols: Vec<&str> = rows.iter().map(|m| m.deck_b.as_str()).collect();
        cols.sort_by(|x, y| x.as_bytes().cmp(y.as_bytes()));
        cols.dedup();
        let mut row_ids: Vec<&str> = rows.iter().map(|m| m.deck_a.as_str()).collect();
        row_ids.dedup();
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{} vs {}: win% of the row deck ({} overall)",
            p.faction_a,
            p.faction_b,
            pct(p.a_win_rate)
        );
        let width = cols.iter().map(|c| c.len()).max().unwrap_or(0).max(7);
        let _ = write!(s, "  {:<20}", "");
        for c in &cols {
            let _ = write!(s, " {c:>width$}");
        }
        let _ = writeln!(s);
        for a in row_ids {
            let _ = write!(s, "  {a:<20}");
            for c in &cols {
                let cell = rows
                    .iter()
                    .find(|m| m.deck_a == a && m.deck_b == *c)
                    .map(|m| pct(m.a_win_rate))
                    .unwrap_or_else(|| "-".into());
                let _ = write!(s, " {cell:>width$}");
            }
            let _ = writeln!(s);
        }
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "Warnings");
    if r.warnings.is_empty() {
        let _ = writeln!(s, "  (none)");
    }
    for w in &r.warnings {
        let _ = writeln!(s, "  [{}] {}", w.level.as_str(), w.message);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(a_first: bool, a_won: Option<bool>) -> GameRecord {
        GameRecord {
            a_first,
            a_won,
            turns: 10,
            time_s: 0.001,
        }
    }

    fn matchup(
        a: &str,
        fa: &str,
        b: &str,
        fb: &str,
        a_wins: usize,
        b_wins: usize,
        draws: usize,
    ) -> MatchupResult {
        // Alternate seats so both decks move first about equally.
        let mut games = Vec::new();
        let outcomes = std::iter::repeat_n(Some(true), a_wins)
            .chain(std::iter::repeat_n(Some(false), b_wins))
            .chain(std::iter::repeat_n(None, draws));
        for (i, o) in outcomes.enumerate() {
            games.push(rec(i % 2 == 0, o));
        }
        MatchupResult::from_games(a, fa, b, fb, &games)
    }

    #[test]
    fn matchup_counts_add_up() {
        let games = [
            rec(true, Some(true)),
            rec(true, None),
            rec(false, Some(true)),
            rec(false, Some(false)),
        ];
        let m = MatchupResult::from_games("x", "argentum", "y", "symbiote", &games);
        assert_eq!((m.a_wins, m.b_wins, m.draws), (2, 1, 1));
        assert_eq!((m.a_wins_as_first, m.b_wins_as_first), (1, 1));
        assert_eq!(m.first_seat_wins, 2);
        assert_eq!((m.a_draws_as_first, m.b_draws_as_first), (1, 0));
        assert_eq!(m.a_win_rate, 2.5 / 4.0);
        assert_eq!(m.avg_turns, 10.0);
    }

    #[test]
    fn summaries_follow_canonical_order_and_sums() {
        let ms = vec![
            matchup("s1", "symbiote", "o1", "obsidion", 10, 10, 0),
            matchup("a2", "argentum", "s1", "symbiote", 30, 10, 0),
            matchup("a1", "argentum", "s1", "symbiote", 20, 20, 0),
        ];
        let r = Results::build(serde_json::Value::Null, ms, Thresholds::default(), 1.0);
        let order: Vec<(&str, &str)> = r
            .matchups
            .iter()
            .map(|m| (m.deck_a.as_str(), m.deck_b.as_str()))
            .collect();
        assert_eq!(order, [("a1", "s1"), ("a2", "s1"), ("s1", "o1")]);
        let decks: Vec<&str> = r.decks.iter().map(|d| d.deck.as_str()).collect();
        assert_eq!(decks, ["a1", "a2", "s1", "o1"]);
        let s1 = &r.decks[2];
        assert_eq!((s1.games, s1.wins, s1.losses), (100, 40, 60));
        assert_eq!(s1.best_matchup.as_ref().unwrap().opponent, "a1"); // 0.5, ties to a1 before o1
        assert_eq!(s1.worst_matchup.as_ref().unwrap().opponent, "a2");
        let fac: Vec<(&str, u64)> = r
            .factions
            .iter()
            .map(|f| (f.faction.as_str(), f.games))
            .collect();
        assert_eq!(fac, [("argentum", 80), ("symbiote", 100), ("obsidion", 20)]);
        assert_eq!(r.faction_pairs.len(), 2);
        assert_eq!(r.games, 100);
        assert_eq!(r.first_seat.games, 100);
    }

    #[test]
    fn verdict_needs_significance_and_distance() {
        // 30-10 over 40 games: 75%, interval above 0.5 -> flagged, but inside the matchup
        // imbalanced band edge (not > 0.75), so a warning.
        let ms = vec![matchup("a1", "argentum", "s1", "symbiote", 30, 10, 0)];
        let r = Results::build(serde_json::Value::Null, ms, Thresholds::default(), 0.0);
        let kinds: Vec<(&str, Verdict)> = r
            .warnings
            .iter()
            .map(|w| (w.kind.as_str(), w.level))
            .collect();
        assert!(kinds.contains(&("matchup", Verdict::Warning)), "{kinds:?}");
        assert!(kinds.contains(&("deck", Verdict::Imbalanced)), "{kinds:?}");
        assert_eq!(r.verdict, Verdict::Imbalanced);
        assert_eq!(r.warnings[0].kind, "faction");

        // 4-1: far from 0.5 but within noise -> nothing flagged.
        let ms = vec![matchup("a1", "argentum", "s1", "symbiote", 4, 1, 0)];
        let r = Results::build(serde_json::Value::Null, ms, Thresholds::default(), 0.0);
        assert!(r.warnings.is_empty());
        assert_eq!(r.verdict, Verdict::Balanced);
    }

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
    fn merge_of_parts_equals_whole() {
        let all = vec![
            matchup("a1", "argentum", "s1", "symbiote", 12, 8, 2),
            matchup("a1", "argentum", "o1", "obsidion", 5, 15, 0),
            matchup("s1", "symbiote", "o1", "obsidion", 9, 9, 4),
        ];
        let whole = Results::build(
            serde_json::Value::Null,
            all.clone(),
            Thresholds::default(),
            0.0,
        );
        let mut parts = vec![all[2].clone(), all[0].clone()];
        parts.push(all[1].clone());
        let merged = Results::build(serde_json::Value::Null, parts, Thresholds::default(), 0.0);
        assert_eq!(whole, merged);
        let text = serde_json::to_string(&whole).unwrap();
        let back: Results = serde_json::from_str(&text).unwrap();
        assert_eq!(back, whole);
    }

    #[test]
    fn summary_text_has_every_section() {
        let ms = vec![
            matchup("a1", "argentum", "s1", "symbiote", 30, 10, 0),
            matchup("a1", "argentum", "s2", "symbiote", 20, 20, 0),
        ];
        let r = Results::build(
            serde_json::json!({"games": 20, "seed": 1}),
            ms,
            Thresholds::default(),
            2.0,
        );
        let s = summary_text(&r, "greedy");
        for needle in [
            "verdict: IMBALANCED",
            "Factions",
            "First seat",
            "Decks (best first)",
            "argentum vs symbiote",
            "Warnings",
            "75.0%",
        ] {
            assert!(s.contains(needle), "missing {needle}:\n{s}");
        }
    }
}
