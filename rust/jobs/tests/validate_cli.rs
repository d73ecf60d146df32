//! The `validate` binary from the outside: outputs, determinism and bad input.

mod common;

use common::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_validate");

fn matchups_without_time(path: &std::path::Path) -> Vec<Value> {
    let v: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    v["matchups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| {
            let mut m = m.clone();
            m.as_object_mut().unwrap().remove("time_s");
            m
        })
        .collect()
}

#[test]
fn a_pair_is_identical_alone_in_the_full_run_and_at_any_thread_count() {
    let s = Scratch::new("determinism");
    let full = s.path().join("full.json");
    let pair = s.path().join("pair.json");
    let base = ["--bot", "greedy", "--games", "2", "--seed", "9"];
    let out = run(
        BIN,
        &[
            &base[..],
            &["--threads", "2", "--output", full.to_str().unwrap()],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(
        BIN,
        &[
            &base[..],
            &[
                "--threads",
                "1",
                "--matchup",
                "symbiote-argentum",
                "--output",
                pair.to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let full = matchups_without_time(&full);
    let pair = matchups_without_time(&pair);
    assert_eq!(full.len(), 40);
    assert_eq!(pair.len(), 16);
    assert_eq!(&full[..16], &pair[..]);
    for m in &full {
        assert_eq!(m["games"], 4);
        let sum = m["a_wins"].as_u64().unwrap()
            + m["b_wins"].as_u64().unwrap()
            + m["draws"].as_u64().unwrap();
        assert_eq!(sum, 4);
    }
}

#[test]
fn a_run_directory_holds_results_summary_and_config() {
    let s = Scratch::new("rundir");
    let root = s.path().to_str().unwrap();
    let args = [
        "--bot",
        "greedy",
        "--games",
        "1",
        "--matchup",
        "night_court",
        "--experiment-dir",
        root,
        "--run-id",
        "r1",
        "--events",
        "jsonl",
    ];
    let out = run(BIN, &args);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = s.path().join("validation/r1");
    for f in ["results.json", "summary.txt", "config.toml"] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let results: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("results.json")).unwrap()).unwrap();
    // night_court (obsidion) meets the 4 argentum and 4 symbiote decks.
    assert_eq!(results["matchups"].as_array().unwrap().len(), 8);
    assert_eq!(results["config"]["matchup"], "night_court");
    for k in [
        "decks",
        "factions",
        "faction_pairs",
        "first_seat",
        "verdict",
        "thresholds",
        "warnings",
        "extremes",
    ] {
        assert!(results.get(k).is_some(), "no {k}");
    }
    // Events: only JSON lines on stdout, with a start, one matchup event per matchup, a done.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(events.iter().all(|e| e["v"] == 1 && e["t"].is_number()));
    let count = |k: &str| events.iter().filter(|e| e["event"] == k).count();
    assert_eq!(count("start"), 1);
    assert_eq!(count("matchup"), 8);
    assert!(count("progress") >= 1);
    assert_eq!(count("done"), 1);
    let last_progress = events
        .iter()
        .rev()
        .find(|e| e["event"] == "progress")
        .unwrap();
    assert_eq!(last_progress["done"], 16);
    // The same run id again is refused: a run directory is never overwritten.
    let again = run(BIN, &args);
    assert_usage_error(&again, &["r1", "already holds"]);
}

#[test]
fn fail_on_imbalance_trips_on_a_crippled_faction() {
    let s = Scratch::new("imbalance");
    let wdir = s.path().join("weights");
    std::fs::create_dir_all(wdir.join("specialists")).unwrap();
    std::fs::copy(
        data_dir().join("weights/generalist.toml"),
        wdir.join("generalist.toml"),
    )
    .unwrap();
    // Argentum plays blind: no value for life, board or winning.
    let blind: Vec<(&str, &str)> = [
        "own_life",
        "enemy_life_lost",
        "own_attack",
        "own_health",
        "enemy_attack",
        "enemy_health",
        "own_creatures",
        "enemy_creatures",
        "win_bonus",
        "loss_penalty",
    ]
    .iter()
    .map(|k| (*k, "0"))
    .collect();
    let text = weights_with(&blind);
    std::fs::write(wdir.join("specialists/argentum.toml"), text).unwrap();
    let out_path = s.path().join("r.json");
    let out = run(
        BIN,
        &[
            "--bot",
            "greedy",
            "--games",
            "10",
            "--matchup",
            "argentum-symbiote",
            "--weights-dir",
            wdir.to_str().unwrap(),
            "--output",
            out_path.to_str().unwrap(),
            "--fail-on-imbalance",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: Value = serde_json::from_str(&std::fs::read_to_string(&out_path).unwrap()).unwrap();
    assert_eq!(r["verdict"], "imbalanced");
    assert_eq!(r["config"]["weights"]["argentum"]["kind"], "specialist");
    assert_eq!(r["config"]["weights"]["symbiote"]["kind"], "generalist");
}

#[test]
fn bad_counts_are_refused() {
    for bad in ["0", "-3", "ten", "1.5"] {
        let out = run(BIN, &["--games", bad]);
        assert_usage_error(&out, &["--games", bad]);
    }
    assert_usage_error(&run(BIN, &["--mcts-sims", "0"]), &["--mcts-sims"]);
    assert_usage_error(&run(BIN, &["--bot", "minimax"]), &["minimax"]);
}

#[test]
fn unknown_matchups_list_the_valid_names() {
    for bad in ["argentum-argentum", "nope", "argentum-elves"] {
        let out = run(
            BIN,
            &[
                "--bot",
                "greedy",
                "--games",
                "1",
                "--matchup",
                bad,
                "--output",
                "/dev/null/x",
            ],
        );
        assert_usage_error(
            &out,
            &[bad, "argentum-symbiote", "obsidion", "iron_bastion"],
        );
    }
}

#[test]
fn bad_weights_name_the_file_and_key() {
    let s = Scratch::new("weights");
    std::fs::write(
        s.path().join("generalist.toml"),
        weights_with(&[("kw_guard", "42")]),
    )
    .unwrap();
    let out = run(
        BIN,
        &[
            "--bot",
            "greedy",
            "--games",
            "1",
            "--weights-dir",
            s.path().to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["generalist.toml", "kw_guard"]);
    let missing = s.path().join("nothing");
    let out = run(
        BIN,
        &[
            "--bot",
            "greedy",
            "--games",
            "1",
            "--weights-dir",
            missing.to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["nothing", "generalist.toml"]);
}

#[test]
fn unwritable_outputs_fail_before_playing() {
    let s = Scratch::new("unwritable");
    let blocker = s.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let target = blocker.join("out.json");
    let out = run(
        BIN,
        &[
            "--bot",
            "greedy",
            "--games",
            "1",
            "--output",
            target.to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["cannot write"]);
    let out = run(
        BIN,
        &[
            "--bot",
            "greedy",
            "--games",
            "1",
            "--experiment-dir",
            blocker.to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["cannot write"]);
}

#[test]
fn merging_the_three_faction_pairs_equals_the_full_run() {
    use ew_jobs::validate::report::{Results, Thresholds};
    let s = Scratch::new("merge");
    let load = |p: &std::path::Path| -> Results {
        let mut r: Results = serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap();
        r.time_s = 0.0;
        for m in &mut r.matchups {
            m.time_s = 0.0;
        }
        r
    };
    let full_path = s.path().join("full.json");
    let base = ["--bot", "greedy", "--games", "3", "--seed", "21"];
    assert!(
        run(
            BIN,
            &[&base[..], &["--output", full_path.to_str().unwrap()]].concat()
        )
        .status
        .success()
    );
    let mut parts = Vec::new();
    for pair in [
        "symbiote-obsidion",
        "argentum-obsidion",
        "argentum-symbiote",
    ] {
        let p = s.path().join(format!("{pair}.json"));
        assert!(
            run(
                BIN,
                &[
                    &base[..],
                    &["--matchup", pair, "--output", p.to_str().unwrap()]
                ]
                .concat()
            )
            .status
            .success()
        );
        parts.extend(load(&p).matchups);
    }
    let full = load(&full_path);
    let merged = Results::build(full.config.clone(), parts, Thresholds::default(), 0.0);
    assert_eq!(merged, full);
}
