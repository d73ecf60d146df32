//! `validate merge`: the report of several partial runs, exactly as one run over the union of
//! their matchups writes it.
//!
//! A part is a `results.json`. Only its counts are read — `version`, `config`, `thresholds`,
//! the matchup counts and `time_s`; every rate, interval, sum, warning and the verdict is
//! rebuilt by [`Results::build`], the function the full run uses. Parts must agree on
//! everything but `config.matchup` and must not share a matchup.
//!
//! The per-(deck, card) counts of `cards` are read beside the matchups; a deck plays in several
//! parts, so `Results::build` adds its card counts up by key before deriving their rates. A
//! part without `cards` (written before card statistics existed) merges only with parts
//! without them, so a card's counts never cover some of its deck's games and not others.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

use super::output::{Destination, write_report};
use super::report::order::faction_rank;
use super::report::{CardStats, MatchupResult, Results, Thresholds, VERSION};
use crate::error::JobError;
use crate::matchups::faction_pairs;
use crate::reporter::Reporter;

/// Flag values of `validate merge`.
#[derive(Clone, Debug)]
pub struct MergeArgs {
    pub parts: Vec<PathBuf>,
    /// A run directory for `results.json`, `summary.txt` and `config.toml`.
    pub output_dir: Option<PathBuf>,
    /// `results.json` alone.
    pub output: Option<PathBuf>,
}

/// What a merge reads of one part.
#[derive(Clone, Debug)]
pub struct Part {
    pub path: PathBuf,
    pub config: Map<String, Value>,
    pub thresholds: Thresholds,
    pub matchups: Vec<MatchupResult>,
    /// `None`: the part has no `cards` field.
    pub cards: Option<Vec<CardStats>>,
    pub time_s: f64,
}

fn bad(path: &Path, msg: impl Into<String>) -> JobError {
    JobError::Input {
        path: path.to_path_buf(),
        msg: msg.into(),
    }
}

/// One line for a serde error: its message without the position, which refers to a
/// re-serialised value rather than the file.
fn reason(e: &serde_json::Error) -> String {
    let text = e.to_string();
    match text.find(" at line ") {
        Some(i) => text[..i].to_string(),
        None => text,
    }
}

/// Reads and checks one part; errors name the file and the field.
pub fn read_part(path: &Path) -> Result<Part, JobError> {
    let text = std::fs::read_to_string(path).map_err(|e| JobError::io(path, &e))?;
    let value: Value =
        serde_json::from_str(&text).map_err(|e| bad(path, format!("not JSON: {e}")))?;
    let Value::Object(mut obj) = value else {
        return Err(bad(path, "not a JSON object"));
    };
    match obj.get("version").and_then(Value::as_u64) {
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(bad(
                path,
                format!("version: {v} (this binary reads version {VERSION})"),
            ));
        }
        None => return Err(bad(path, "version: missing or not an integer")),
    }
    let config = match obj.remove("config") {
        Some(Value::Object(c)) => c,
        _ => return Err(bad(path, "config: missing or not an object")),
    };
    let thresholds = match obj.remove("thresholds") {
        None => Thresholds::default(),
        Some(v) => serde_json::from_value(v)
            .map_err(|e| bad(path, format!("thresholds: {}", reason(&e))))?,
    };
    let time_s = match obj.get("time_s") {
        None => 0.0,
        Some(v) => match v.as_f64() {
            Some(t) if t.is_finite() && t >= 0.0 => t,
            _ => return Err(bad(path, "time_s: not a number >= 0")),
        },
    };
    let Some(Value::Array(raw)) = obj.remove("matchups") else {
        return Err(bad(path, "matchups: missing or not an array"));
    };
    let mut matchups = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let m: MatchupResult = serde_json::from_value(v)
            .map_err(|e| bad(path, format!("matchups[{i}]: {}", reason(&e))))?;
        let (ra, rb) = (faction_rank(&m.faction_a), faction_rank(&m.faction_b));
        if ra.is_none() {
            let f = &m.faction_a;
            return Err(bad(
                path,
                format!("matchups[{i}].faction_a: unknown faction `{f}`"),
            ));
        }
        if rb.is_none() || rb <= ra {
            let f = &m.faction_b;
            return Err(bad(
                path,
                format!("matchups[{i}].faction_b: `{f}` is not a faction after faction_a"),
            ));
        }
        if let Some((field, why)) = m.inconsistency() {
            return Err(bad(path, format!("matchups[{i}].{field}: {why}")));
        }
        matchups.push(m);
    }
    let cards = match obj.remove("cards") {
        None => None,
        Some(Value::Array(raw)) => Some(read_cards(path, raw, &matchups)?),
        Some(_) => return Err(bad(path, "cards: not an array")),
    };
    Ok(Part {
        path: path.to_path_buf(),
        config,
        thresholds,
        matchups,
        cards,
        time_s,
    })
}

/// The card entries of a part, each checked against itself and its deck's games in the part.
fn read_cards(
    path: &Path,
    raw: Vec<Value>,
    matchups: &[MatchupResult],
) -> Result<Vec<CardStats>, JobError> {
    let mut deck_games: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for m in matchups {
        *deck_games.entry((&m.deck_a, &m.faction_a)).or_default() += m.games;
        *deck_games.entry((&m.deck_b, &m.faction_b)).or_default() += m.games;
    }
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    let mut cards = Vec::with_capacity(raw.len());
    for (i, v) in raw.into_iter().enumerate() {
        let c: CardStats = serde_json::from_value(v)
            .map_err(|e| bad(path, format!("cards[{i}]: {}", reason(&e))))?;
        let Some(&games) = deck_games.get(&(c.deck.as_str(), c.faction.as_str())) else {
            return Err(bad(
                path,
                format!(
                    "cards[{i}].deck: `{}` ({}) plays no matchup of this part",
                    c.deck, c.faction
                ),
            ));
        };
        if let Some((field, why)) = c.inconsistency(games) {
            return Err(bad(path, format!("cards[{i}].{field}: {why}")));
        }
        if let Some(j) = seen.insert((c.deck.clone(), c.card.clone()), i) {
            return Err(bad(
                path,
                format!("cards[{i}]: {} of {} repeats cards[{j}]", c.card, c.deck),
            ));
        }
        cards.push(c);
    }
    Ok(cards)
}

fn show(v: Option<&Value>) -> String {
    v.map(Value::to_string).unwrap_or_else(|| "nothing".into())
}

/// The report of the union of `parts`. Parts run side by side, so `time_s` is the longest
/// part's.
pub fn merge(parts: Vec<Part>) -> Result<Results, JobError> {
    let Some(first) = parts.first() else {
        return Err(JobError::Usage("merge: no part given".into()));
    };
    for p in &parts[1..] {
        let keys: std::collections::BTreeSet<&String> =
            first.config.keys().chain(p.config.keys()).collect();
        for k in keys.into_iter().filter(|k| *k != "matchup") {
            let (mine, theirs) = (p.config.get(k), first.config.get(k));
            if mine != theirs {
                return Err(bad(
                    &p.path,
                    format!(
                        "config.{k}: {} differs from {} in {}",
                        show(mine),
                        show(theirs),
                        first.path.display()
                    ),
                ));
            }
        }
        if p.thresholds != first.thresholds {
            let (a, b) = (
                serde_json::to_value(&p.thresholds).unwrap_or_default(),
                serde_json::to_value(&first.thresholds).unwrap_or_default(),
            );
            let field = a
                .as_object()
                .and_then(|a| a.iter().find(|(k, v)| b.get(k.as_str()) != Some(*v)))
                .map(|(k, _)| k.clone())
                .unwrap_or_default();
            return Err(bad(
                &p.path,
                format!("thresholds.{field}: differs from {}", first.path.display()),
            ));
        }
    }
    let mut seen: BTreeMap<(String, String), &Path> = BTreeMap::new();
    for p in &parts {
        for (i, m) in p.matchups.iter().enumerate() {
            let key = (m.deck_a.clone(), m.deck_b.clone());
            if let Some(other) = seen.insert(key, &p.path) {
                return Err(bad(
                    &p.path,
                    format!(
                        "matchups[{i}]: {} vs {} is also in {}",
                        m.deck_a,
                        m.deck_b,
                        other.display()
                    ),
                ));
            }
        }
    }
    let mut config = first.config.clone();
    config.insert("matchup".into(), union_filter(&parts));
    let thresholds = first.thresholds.clone();
    let time_s = parts.iter().map(|p| p.time_s).fold(0.0, f64::max);
    let cards = merged_cards(&parts)?;
    let matchups: Vec<MatchupResult> = parts.into_iter().flat_map(|p| p.matchups).collect();
    Ok(Results::build(
        Value::Object(config),
        matchups,
        cards,
        thresholds,
        time_s,
    ))
}

/// Every part's card entries, once all parts are known to carry them (or none does) and to
/// agree on each card's copies.
fn merged_cards(parts: &[Part]) -> Result<Vec<CardStats>, JobError> {
    let with = parts.iter().find(|p| p.cards.is_some());
    if let Some(with) = with
        && let Some(without) = parts.iter().find(|p| p.cards.is_none())
    {
        return Err(bad(
            &without.path,
            format!(
                "cards: missing, while {} has card statistics",
                with.path.display()
            ),
        ));
    }
    let mut copies: BTreeMap<(&str, &str), (u64, &Path)> = BTreeMap::new();
    for p in parts {
        for (i, c) in p.cards.iter().flatten().enumerate() {
            let (n, first) = *copies
                .entry((&c.deck, &c.card))
                .or_insert((c.copies, &p.path));
            if n != c.copies {
                return Err(bad(
                    &p.path,
                    format!(
                        "cards[{i}].copies: {} differs from {n} in {}",
                        c.copies,
                        first.display()
                    ),
                ));
            }
        }
    }
    Ok(parts
        .iter()
        .flat_map(|p| p.cards.iter().flatten().cloned())
        .collect())
}

/// `config.matchup` of the union: `null` when a part covers everything or the parts cover
/// the three faction pairs; otherwise the parts' filters, sorted and joined by commas.
fn union_filter(parts: &[Part]) -> Value {
    let mut filters: Vec<&str> = Vec::new();
    for p in parts {
        match p.config.get("matchup").and_then(Value::as_str) {
            Some(f) => filters.push(f),
            None => return Value::Null,
        }
    }
    filters.sort_unstable();
    filters.dedup();
    let every_pair = faction_pairs()
        .iter()
        .all(|(a, b)| filters.contains(&format!("{}-{}", a.as_str(), b.as_str()).as_str()));
    if every_pair {
        Value::Null
    } else {
        Value::String(filters.join(","))
    }
}

/// `validate merge`: reads every part, merges them and writes the report.
pub fn run(args: &MergeArgs, rep: &Reporter) -> Result<Results, JobError> {
    let parts: Vec<Part> = args
        .parts
        .iter()
        .map(|p| read_part(p))
        .collect::<Result<_, _>>()?;
    let destination = match (&args.output_dir, &args.output) {
        (Some(dir), None) => Destination::dir(dir.clone(), |d| d.join("results.json").exists())?,
        (None, Some(file)) => Destination::file(file)?,
        _ => {
            return Err(JobError::Usage(
                "merge: give exactly one of --output-dir and --output".into(),
            ));
        }
    };
    let results = merge(parts)?;
    rep.info(&format!(
        "merged {} parts: {} matchups, {} games",
        args.parts.len(),
        results.matchups.len(),
        results.games
    ));
    // Parts inside the output directory are recorded relative to it, so the record still
    // holds when the directory is copied elsewhere (from a container, for one).
    let shown = |p: &PathBuf| match &args.output_dir {
        Some(dir) => p.strip_prefix(dir).unwrap_or(p).display().to_string(),
        None => p.display().to_string(),
    };
    let mut settings = toml::Table::new();
    settings.insert(
        "parts".into(),
        toml::Value::Array(
            args.parts
                .iter()
                .map(|p| toml::Value::String(shown(p)))
                .collect(),
        ),
    );
    write_report(&destination, &results, settings, rep)?;
    Ok(results)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::report::GameRecord;
    use ew_common::stats::Z95;
    use serde_json::json;

    fn matchup(a: &str, fa: &str, b: &str, fb: &str, a_wins: usize) -> MatchupResult {
        let games: Vec<GameRecord> = (0..10)
            .map(|i| GameRecord {
                a_first: i % 2 == 0,
                a_won: Some(i < a_wins),
                turns: 9,
                time_s: 0.5,
            })
            .collect();
        MatchupResult::from_games(a, fa, b, fb, &games, Z95)
    }

    fn part(name: &str, filter: Option<&str>, matchups: Vec<MatchupResult>, t: f64) -> Part {
        let config = json!({"games": 5, "seed": 3, "bot": "greedy", "matchup": filter});
        Part {
            path: PathBuf::from(name),
            config: config.as_object().unwrap().clone(),
            thresholds: Thresholds::default(),
            matchups,
            cards: None,
            time_s: t,
        }
    }

    fn all() -> Vec<MatchupResult> {
        vec![
            matchup("a1", "argentum", "s1", "symbiote", 7),
            matchup("a1", "argentum", "o1", "obsidion", 2),
            matchup("s1", "symbiote", "o1", "obsidion", 5),
        ]
    }

    #[test]
    fn the_parts_of_a_run_merge_into_the_whole() {
        let ms = all();
        let whole = Results::build(
            json!({"games": 5, "seed": 3, "bot": "greedy", "matchup": null}),
            ms.clone(),
            Vec::new(),
            Thresholds::default(),
            4.0,
        );
        let parts = vec![
            part("so", Some("symbiote-obsidion"), vec![ms[2].clone()], 4.0),
            part("as", Some("argentum-symbiote"), vec![ms[0].clone()], 3.0),
            part("ao", Some("argentum-obsidion"), vec![ms[1].clone()], 1.0),
        ];
        assert_eq!(merge(parts).unwrap(), whole);
    }

    #[test]
    fn an_incomplete_union_names_its_filters() {
        let ms = all();
        let parts = vec![
            part("so", Some("symbiote-obsidion"), vec![ms[2].clone()], 1.0),
            part("as", Some("argentum-symbiote"), vec![ms[0].clone()], 1.0),
        ];
        let r = merge(parts).unwrap();
        assert_eq!(r.config["matchup"], "argentum-symbiote,symbiote-obsidion");
        assert_eq!(r.matchups.len(), 2);
    }

    #[test]
    fn a_merge_rebuilds_the_rates_it_is_given() {
        let mut ms = all();
        ms[0].a_win_rate = 0.01;
        ms[0].a_win_rate_ci95 = [0.0, 0.0];
        let r = merge(vec![part("x", None, ms, 1.0)]).unwrap();
        assert_eq!(r.matchups[0].a_win_rate, 0.7);
    }

    fn card(deck: &str, faction: &str, copies: u64, drawn: u64, played: u64) -> CardStats {
        let c = crate::validate::report::CardCounts {
            drawn_games: drawn,
            drawn_wins: drawn / 2,
            played_games: played,
            played_wins: played / 2,
            plays: played,
            play_turns: 4 * played,
            ..Default::default()
        };
        CardStats::new(deck, faction, "c", copies, &c)
    }

    #[test]
    fn card_counts_add_up_across_parts_and_must_agree_on_copies() {
        let ms = all();
        let with_cards = |name: &str, filter: &str, m: &MatchupResult, cards: Vec<CardStats>| {
            let mut p = part(name, Some(filter), vec![m.clone()], 1.0);
            p.cards = Some(cards);
            p
        };
        let parts = vec![
            with_cards(
                "as",
                "argentum-symbiote",
                &ms[0],
                vec![card("a1", "argentum", 2, 8, 6)],
            ),
            with_cards(
                "ao",
                "argentum-obsidion",
                &ms[1],
                vec![card("a1", "argentum", 2, 9, 3)],
            ),
        ];
        let r = merge(parts).unwrap();
        assert_eq!(r.cards.len(), 1);
        assert_eq!((r.cards[0].drawn_games, r.cards[0].played_games), (17, 9));
        assert_eq!(r.cards[0].avg_play_turn, 4.0);
        // a1 won 7 + 2 of its 20 games; its card's impact is measured against that.
        assert!((r.cards[0].impact - (r.cards[0].played_win_rate - 0.45)).abs() < 1e-12);

        let parts = vec![
            with_cards(
                "as",
                "argentum-symbiote",
                &ms[0],
                vec![card("a1", "argentum", 2, 8, 6)],
            ),
            with_cards(
                "ao",
                "argentum-obsidion",
                &ms[1],
                vec![card("a1", "argentum", 3, 9, 3)],
            ),
        ];
        let e = merge(parts).unwrap_err().to_string();
        assert_eq!(e, "ao: cards[0].copies: 3 differs from 2 in as");

        let parts = vec![
            with_cards("as", "argentum-symbiote", &ms[0], vec![]),
            part("ao", Some("argentum-obsidion"), vec![ms[1].clone()], 1.0),
        ];
        let e = merge(parts).unwrap_err().to_string();
        assert_eq!(e, "ao: cards: missing, while as has card statistics");
    }

    #[test]
    fn different_configs_thresholds_or_shared_matchups_are_refused() {
        let ms = all();
        let mut other = part(
            "b.json",
            Some("argentum-obsidion"),
            vec![ms[1].clone()],
            1.0,
        );
        other.config.insert("seed".into(), json!(4));
        let one = || {
            part(
                "a.json",
                Some("argentum-symbiote"),
                vec![ms[0].clone()],
                1.0,
            )
        };
        let e = merge(vec![one(), other]).unwrap_err().to_string();
        assert_eq!(e, "b.json: config.seed: 4 differs from 3 in a.json");

        let mut other = part(
            "b.json",
            Some("argentum-obsidion"),
            vec![ms[1].clone()],
            1.0,
        );
        other.thresholds.flag_z = 2.0;
        let e = merge(vec![one(), other]).unwrap_err().to_string();
        assert_eq!(e, "b.json: thresholds.flag_z: differs from a.json");

        let again = part("b.json", None, vec![ms[2].clone(), ms[0].clone()], 1.0);
        let e = merge(vec![one(), again]).unwrap_err().to_string();
        assert_eq!(e, "b.json: matchups[1]: a1 vs s1 is also in a.json");
    }
}
