//! `summary.txt`: the report for people, in the layout of `docs/validate.md`. It is written
//! here and nowhere else; other tools display `results.json`.

use std::fmt::Write as _;

use super::Results;
use super::cards::CardStats;
use super::matchup::MatchupResult;
use super::tallies::{DeckStats, OpponentRate};

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

fn ci(c: [f64; 2]) -> String {
    format!("[{}, {}]", pct(c[0]), pct(c[1]))
}

/// The bot of a run as its config names it: `greedy` or `mcts:SIMS`.
pub fn bot_label(config: &serde_json::Value) -> String {
    match config.get("bot").and_then(|v| v.as_str()) {
        Some("mcts") => format!(
            "mcts:{}",
            config
                .get("mcts_sims")
                .and_then(|v| v.as_u64())
                .unwrap_or(0)
        ),
        Some(other) => other.to_string(),
        None => "?".into(),
    }
}

pub fn summary_text(r: &Results) -> String {
    let mut s = String::new();
    let games_per_order = r.config.get("games").and_then(|v| v.as_u64()).unwrap_or(0);
    let seed = r.config.get("seed").and_then(|v| v.as_u64()).unwrap_or(0);
    let _ = writeln!(s, "Essence Wars balance validation");
    let _ = writeln!(
        s,
        "bot {} · {games_per_order} games per seat order · seed {seed} · {} matchups · {} games · {:.1} s",
        bot_label(&r.config),
        r.matchups.len(),
        r.games,
        r.time_s
    );
    let _ = writeln!(s, "verdict: {}", r.verdict.as_str().to_uppercase());
    let _ = writeln!(s);
    factions(&mut s, r);
    let _ = writeln!(s);
    decks(&mut s, r);
    matrices(&mut s, r);
    cards(&mut s, r);
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

fn factions(s: &mut String, r: &Results) {
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
}

fn decks(s: &mut String, r: &Results) {
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
}

/// How many cards each end of the impact ranking lists.
const CARDS_LISTED: usize = 10;

/// Signed percentage points.
fn pts(x: f64) -> String {
    format!("{:+.1}", 100.0 * x)
}

/// The strongest and weakest played cards by impact (ties in canonical order).
fn cards(s: &mut String, r: &Results) {
    let mut played: Vec<&CardStats> = r.cards.iter().filter(|c| c.played_games > 0).collect();
    if played.is_empty() {
        return;
    }
    let n = played.len().min(CARDS_LISTED);
    let mut weakest = played.clone();
    weakest.sort_by(|x, y| x.impact.total_cmp(&y.impact));
    played.sort_by(|x, y| y.impact.total_cmp(&x.impact));
    for (title, list) in [("strongest", &played[..n]), ("weakest", &weakest[..n])] {
        let _ = writeln!(s);
        let _ = writeln!(
            s,
            "{:<44} {:>7}  {:<16} {:>7} {:>7}",
            format!("Cards, {title} impact (pts vs deck win%)"),
            "impact",
            "95% CI",
            "played",
            "win%"
        );
        for c in list {
            let _ = writeln!(
                s,
                "  {:<22} {:<19} {:>7}  {:<16} {:>7} {:>7}",
                c.card,
                c.deck,
                pts(c.impact),
                format!("[{}, {}]", pts(c.impact_ci95[0]), pts(c.impact_ci95[1])),
                c.played_games,
                pct(c.played_win_rate)
            );
        }
    }
}

/// One win-rate matrix per faction pair: rows deck a, columns deck b.
fn matrices(s: &mut String, r: &Results) {
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
}
