//! The event lines: `docs/events.schema.json` is generated from `ew_jobs::events`, and what the
//! binaries really write is exactly what the enum describes.

mod common;

use std::path::PathBuf;

use common::*;
use ew_jobs::events::{EventLine, json_schema};
use serde_json::Value;

fn schema_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/events.schema.json")
}

/// Regenerate with `UPDATE_EVENT_SCHEMA=1 cargo test -p ew-jobs --test event_schema`.
#[test]
fn schema_file_is_current() {
    let path = schema_path();
    let want = json_schema();
    if std::env::var_os("UPDATE_EVENT_SCHEMA").is_some() {
        ew_tuning::files::write_atomic(&path, want.as_bytes()).unwrap();
    }
    let have = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        have == want,
        "docs/events.schema.json is stale: run UPDATE_EVENT_SCHEMA=1 cargo test -p ew-jobs --test event_schema"
    );
}

#[test]
fn schema_names_every_event() {
    let schema: Value = serde_json::from_str(&json_schema()).unwrap();
    let text = schema.to_string();
    for kind in [
        "start",
        "generation",
        "progress",
        "matchup",
        "checkpoint",
        "log",
        "heldout",
        "done",
        "error",
    ] {
        assert!(text.contains(&format!("\"const\":\"{kind}\"")), "{kind}");
    }
}

/// Every stdout line parses as an `EventLine` and serialises back to the same object: a field
/// the binary writes but the enum lacks (or types differently) fails here.
fn assert_lines_round_trip(stdout: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(stdout);
    let mut kinds = Vec::new();
    for line in text.lines() {
        let raw: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let typed: EventLine = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
        assert_eq!(serde_json::to_value(&typed).unwrap(), raw, "{line}");
        kinds.push(raw["event"].as_str().unwrap().to_string());
    }
    kinds
}

#[test]
fn validate_lines_match_the_enum() {
    let s = Scratch::new("events-validate");
    let out = run(
        env!("CARGO_BIN_EXE_validate"),
        &[
            "--bot",
            "greedy",
            "--games",
            "2",
            "--matchup",
            "night_court",
            "--experiment-dir",
            s.path().to_str().unwrap(),
            "--run-id",
            "r1",
            "--events",
            "jsonl",
        ],
    );
    assert_run_sends(&out, &["start", "progress", "matchup", "log", "done"]);
}

#[test]
fn tune_lines_match_the_enum() {
    let s = Scratch::new("events-tune");
    let out = run(
        env!("CARGO_BIN_EXE_tune"),
        &[
            "--games",
            "4",
            "--mcts-sims",
            "2",
            "--population",
            "4",
            "--generations",
            "2",
            "--seed",
            "3",
            "--threads",
            "2",
            "--experiment-dir",
            s.path().to_str().unwrap(),
            "--events",
            "jsonl",
        ],
    );
    assert_run_sends(&out, &["start", "generation", "checkpoint", "log", "done"]);
}

#[test]
fn bad_input_error_line_matches_the_enum() {
    let out = run(
        env!("CARGO_BIN_EXE_validate"),
        &["--matchup", "no_such_deck", "--events", "jsonl"],
    );
    assert_eq!(out.status.code(), Some(2));
    let kinds = assert_lines_round_trip(&out.stdout);
    assert_eq!(kinds, ["error"]);
}

/// A successful run whose every stdout line round-trips through the enum and which sent at least
/// the event kinds `expected`.
fn assert_run_sends(out: &std::process::Output, expected: &[&str]) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let kinds = assert_lines_round_trip(&out.stdout);
    for k in expected {
        assert!(kinds.iter().any(|x| x == k), "no {k} in {kinds:?}");
    }
}
