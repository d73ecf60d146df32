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
        "cards",
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
    // The CPU time the process used, which a run's estimate is compared with.
    let done = events.iter().find(|e| e["event"] == "done").unwrap();
    assert!(done["summary"]["cpu_s"].as_f64().is_some_and(|c| c >= 0.0));
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

/// Runs `validate` with `args`, asserting success.
fn ok(args: &[&str]) {
    let out = run(BIN, args);
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn merging_the_three_faction_pairs_writes_the_full_runs_files_byte_for_byte() {
    let s = Scratch::new("merge");
    let root = s.path().to_str().unwrap();
    let base = [
        "--bot",
        "greedy",
        "--games",
        "3",
        "--seed",
        "21",
        "--no-timing",
    ];
    ok(&[&base[..], &["--experiment-dir", root, "--run-id", "full"]].concat());
    let mut parts = Vec::new();
    for pair in [
        "symbiote-obsidion",
        "argentum-obsidion",
        "argentum-symbiote",
    ] {
        let p = s.path().join(format!("{pair}.json"));
        ok(&[
            &base[..],
            &["--matchup", pair, "--output", p.to_str().unwrap()],
        ]
        .concat());
        parts.push(p.to_str().unwrap().to_string());
    }
    let merged = s.path().join("validation/merged");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--output-dir", merged.to_str().unwrap()]);
    ok(&args);
    let full = s.path().join("validation/full");
    for f in ["results.json", "summary.txt"] {
        let a = std::fs::read(full.join(f)).unwrap();
        let b = std::fs::read(merged.join(f)).unwrap();
        assert!(a == b, "{f} differs");
    }
    // The card statistics are in both, and a deck's counts are the sum of its two parts.
    let read = |p: &std::path::Path| -> Value {
        serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let whole = read(&full.join("results.json"));
    let cards = whole["cards"].as_array().unwrap();
    assert_eq!(
        cards,
        read(&merged.join("results.json"))["cards"]
            .as_array()
            .unwrap()
    );
    let decks = whole["decks"].as_array().unwrap().len();
    assert!(cards.len() >= 4 * decks, "{} cards", cards.len());
    let card = &cards[0];
    let in_part = |p: &str, k: &str| -> u64 {
        read(std::path::Path::new(p))["cards"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["deck"] == card["deck"] && c["card"] == card["card"])
            .map_or(0, |c| c[k].as_u64().unwrap())
    };
    for k in ["drawn_games", "played_games", "plays", "play_turns"] {
        let sum: u64 = parts.iter().map(|p| in_part(p, k)).sum();
        assert_eq!(card[k].as_u64().unwrap(), sum, "{k}");
    }
    // Each deck meets 8 decks in 2 parts: 8 x 2 seat orders x 3 games.
    assert!(card["drawn_games"].as_u64().unwrap() <= 48);
    let summary = std::fs::read_to_string(full.join("summary.txt")).unwrap();
    assert!(summary.contains("Cards, strongest impact"), "{summary}");
    assert!(summary.contains("Cards, weakest impact"), "{summary}");
    let config = std::fs::read_to_string(merged.join("config.toml")).unwrap();
    assert!(config.contains("run_id = \"merged\""), "{config}");
    assert!(config.contains("argentum-symbiote.json"), "{config}");
    // A directory that already holds a report is not overwritten.
    assert_usage_error(&run(BIN, &args), &["merged", "already holds"]);
    // --output writes the same results.json alone.
    let alone = s.path().join("alone.json");
    let mut args = vec!["merge"];
    args.extend(parts.iter().map(String::as_str));
    args.extend(["--output", alone.to_str().unwrap()]);
    ok(&args);
    assert_eq!(
        std::fs::read(&alone).unwrap(),
        std::fs::read(full.join("results.json")).unwrap()
    );
}

#[test]
fn a_part_merged_alone_is_its_own_report() {
    let s = Scratch::new("merge-one");
    let part = s.path().join("pair.json");
    let merged = s.path().join("merged.json");
    ok(&[
        "--bot",
        "greedy",
        "--games",
        "2",
        "--matchup",
        "night_court",
        "--output",
        part.to_str().unwrap(),
    ]);
    ok(&[
        "merge",
        part.to_str().unwrap(),
        "--output",
        merged.to_str().unwrap(),
    ]);
    let a: Value = serde_json::from_str(&std::fs::read_to_string(&part).unwrap()).unwrap();
    let b: Value = serde_json::from_str(&std::fs::read_to_string(&merged).unwrap()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn bad_parts_name_the_file_and_field() {
    let s = Scratch::new("merge-bad");
    let good = s.path().join("good.json");
    ok(&[
        "--bot",
        "greedy",
        "--games",
        "1",
        "--matchup",
        "argentum-symbiote",
        "--output",
        good.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&good).unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    let write = |name: &str, v: &Value| {
        let p = s.path().join(name);
        std::fs::write(&p, serde_json::to_string(v).unwrap()).unwrap();
        p.to_str().unwrap().to_string()
    };
    let out = s.path().join("out").to_str().unwrap().to_string();
    let merge_of = |parts: &[&str]| {
        let mut args = vec!["merge"];
        args.extend_from_slice(parts);
        args.extend(["--output-dir", out.as_str()]);
        run(BIN, &args)
    };
    let g = good.to_str().unwrap();

    let not_json = s.path().join("broken.json");
    std::fs::write(&not_json, &text[..text.len() / 2]).unwrap();
    assert_usage_error(
        &merge_of(&[not_json.to_str().unwrap()]),
        &["broken.json", "not JSON"],
    );

    let missing = s.path().join("missing.json");
    assert_usage_error(&merge_of(&[missing.to_str().unwrap()]), &["missing.json"]);

    let mut seed = v.clone();
    seed["config"]["seed"] = 43.into();
    seed["config"]["matchup"] = "argentum-obsidion".into();
    seed["matchups"] = Value::Array(vec![]);
    seed["cards"] = Value::Array(vec![]);
    let p = write("seed.json", &seed);
    assert_usage_error(
        &merge_of(&[g, &p]),
        &["seed.json", "config.seed", "good.json"],
    );

    let mut bot = v.clone();
    bot["config"]["bot"] = "mcts".into();
    let p = write("bot.json", &bot);
    assert_usage_error(&merge_of(&[g, &p]), &["bot.json", "config.bot"]);

    let p = write("again.json", &v);
    assert_usage_error(
        &merge_of(&[g, &p]),
        &["again.json", "matchups[0]", "also in"],
    );

    let mut counts = v.clone();
    counts["matchups"][2]["a_wins"] = 99.into();
    let p = write("counts.json", &counts);
    assert_usage_error(&merge_of(&[&p]), &["counts.json", "matchups[2].games"]);

    let mut field = v.clone();
    field["matchups"][1]
        .as_object_mut()
        .unwrap()
        .remove("draws");
    let p = write("field.json", &field);
    assert_usage_error(&merge_of(&[&p]), &["field.json", "matchups[1]", "draws"]);

    let mut faction = v.clone();
    faction["matchups"][0]["faction_b"] = "argentum".into();
    let p = write("faction.json", &faction);
    assert_usage_error(&merge_of(&[&p]), &["faction.json", "matchups[0].faction_b"]);

    let mut version = v.clone();
    version["version"] = 7.into();
    let p = write("version.json", &version);
    assert_usage_error(&merge_of(&[&p]), &["version.json", "version: 7"]);

    let mut played = v.clone();
    let drawn = played["cards"][3]["drawn_games"].as_u64().unwrap();
    played["cards"][3]["played_games"] = (drawn + 1).into();
    let p = write("played.json", &played);
    assert_usage_error(&merge_of(&[&p]), &["played.json", "cards[3].played_games"]);

    let mut stranger = v.clone();
    stranger["cards"][0]["deck"] = "night_court".into();
    let p = write("stranger.json", &stranger);
    assert_usage_error(&merge_of(&[&p]), &["stranger.json", "cards[0].deck"]);

    // A part without card statistics does not merge with one that has them.
    let mut old = v.clone();
    old["config"]["matchup"] = "argentum-obsidion".into();
    old["matchups"] = Value::Array(vec![]);
    old.as_object_mut().unwrap().remove("cards");
    let p = write("old.json", &old);
    assert_usage_error(
        &merge_of(&[g, &p]),
        &["old.json", "cards: missing", "good.json"],
    );

    // Nothing was written by any refused merge.
    assert!(!s.path().join("out/results.json").exists());
    // No part at all is a usage error too.
    assert_usage_error(
        &run(BIN, &["merge", "--output-dir", &out]),
        &["required", "<PARTS>"],
    );
}
