//! The `tune` binary from the outside: experiment files, exact resume, deploy, the objective
//! mode and bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tune");

/// A small but real configuration: 4 candidates x 6 games, MCTS with 3 simulations, an
/// archive of 2, and a small held-out evaluation.
const SMALL: [&str; 18] = [
    "--fitness-weights",
    "0.1,0.4,0.5",
    "--archive",
    "2",
    "--heldout-games",
    "12",
    "--h2h-games",
    "40",
    "--games",
    "6",
    "--mcts-sims",
    "3",
    "--population",
    "4",
    "--seed",
    "5",
    "--threads",
    "2",
];

fn only_dir(root: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs.into_iter().next().unwrap()
}

fn read_json(p: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

/// weights.toml without its comment header (which names the generation).
fn weights_body(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("weights.toml"))
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#'))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_run_writes_every_experiment_file() {
    let s = Scratch::new("files");
    let root = s.path().to_str().unwrap();
    let out = run(
        BIN,
        &[
            &SMALL[..],
            &[
                "--generations",
                "3",
                "--experiment-dir",
                root,
                "--tag",
                "t1",
                "--events",
                "jsonl",
            ],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = only_dir(s.path());
    assert!(dir.file_name().unwrap().to_str().unwrap().ends_with("_t1"));
    for f in [
        "config.toml",
        "events.jsonl",
        "train.log",
        "stats.csv",
        "weights.toml",
        "checkpoint.json",
        "summary.json",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let stats = std::fs::read_to_string(dir.join("stats.csv")).unwrap();
    assert_eq!(stats.lines().count(), 4);
    assert!(stats.starts_with("gen,evals,games,best_fitness"));
    let summary = read_json(&dir.join("summary.json"));
    assert_eq!(summary["generations"], 3);
    // 4 samples a generation, plus the archive's replays: 0, then 2, then 2.
    assert_eq!(summary["evaluations"], 16);
    assert_eq!(summary["games"], 96);
    assert_eq!(summary["stop_reason"], "generations");
    assert_eq!(summary["population"], 4);
    for k in ["random", "greedy", "mcts"] {
        assert!(summary["win_rates"][k].is_number(), "{k}");
    }
    // The best weights load as a weights file.
    ew_engine::Weights::load(&dir.join("weights.toml")).unwrap();
    // Events on stdout: start, a generation and a checkpoint per generation, done.
    let stdout = String::from_utf8(out.stdout).unwrap();
    let events: Vec<Value> = stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let kinds: Vec<&str> = events
        .iter()
        .map(|e| e["event"].as_str().unwrap())
        .filter(|k| *k != "log")
        .collect();
    assert_eq!(
        kinds,
        [
            "start",
            "generation",
            "checkpoint",
            "generation",
            "checkpoint",
            "generation",
            "checkpoint",
            "heldout",
            "done"
        ]
    );
    check_heldout(&summary["heldout"], 12, 40, 2);
    // The event carries every field of summary.json's `heldout`.
    let ev = events.iter().find(|e| e["event"] == "heldout").unwrap();
    for (k, v) in summary["heldout"].as_object().unwrap() {
        assert_eq!(&ev[k], v, "{k}");
    }
    let done = events.iter().find(|e| e["event"] == "done").unwrap();
    assert_eq!(done["summary"]["heldout"], summary["heldout"]);
    // weights.toml is the held-out winner.
    let winner = summary["heldout"]["winner"].as_str().unwrap();
    let head = std::fs::read_to_string(dir.join("weights.toml")).unwrap();
    assert!(
        head.starts_with(&format!("# Held-out winner {winner}:")),
        "{head}"
    );
    let g = events.iter().find(|e| e["event"] == "generation").unwrap();
    for k in [
        "gen",
        "generations",
        "best_fitness",
        "mean_fitness",
        "best_win_rate",
        "sigma",
        "evals",
        "games",
        "elapsed_s",
        "cpu_s",
    ] {
        assert!(!g[k].is_null(), "generation lacks {k}");
    }
    // The mirror holds the same events.
    let mirror = std::fs::read_to_string(dir.join("events.jsonl")).unwrap();
    assert_eq!(mirror.lines().count(), events.len());
    // A second run with the same tag in the same minute gets its own directory.
    let again = run(
        BIN,
        &[
            &SMALL[..],
            &[
                "--generations",
                "1",
                "--experiment-dir",
                root,
                "--tag",
                "t1",
            ],
        ]
        .concat(),
    );
    assert!(again.status.success());
    assert_eq!(std::fs::read_dir(s.path()).unwrap().count(), 2);
}

/// Checks the `heldout` object of a run with `games` held-out and `h2h` head-to-head games per
/// finalist and an archive of `archive`.
fn check_heldout(h: &Value, games: u64, h2h: u64, archive: usize) {
    assert_eq!(h["games"], games);
    assert_eq!(h["h2h_games"], h2h);
    let baseline = data_dir().join("weights/generalist.toml");
    assert_eq!(
        h["baseline"],
        baseline.canonicalize().unwrap().display().to_string()
    );
    let bytes = std::fs::read(&baseline).unwrap();
    assert_eq!(
        h["baseline_sha256"],
        ew_jobs::tune::heldout::sha256_hex(&bytes)
    );
    let cands = h["candidates"].as_array().unwrap();
    assert_eq!(cands.len(), 1 + archive);
    assert_eq!(cands[0]["name"], "mean");
    assert!(cands[0]["train_fitness"].is_null());
    assert_eq!(cands[0]["train_gens"], 0);
    for (i, c) in cands.iter().enumerate().skip(1) {
        assert_eq!(c["name"], format!("archive-{i}"));
        assert!(c["train_fitness"].is_number());
        assert!(c["train_gens"].as_u64().unwrap() >= 1);
    }
    for c in cands {
        let r = &c["h2h"];
        assert_eq!(r["games"], h2h);
        let (w, l, d) = (
            r["wins"].as_u64().unwrap(),
            r["losses"].as_u64().unwrap(),
            r["draws"].as_u64().unwrap(),
        );
        assert_eq!(w + l + d, h2h);
        let score = r["score"].as_f64().unwrap();
        assert!((score - (w as f64 + d as f64 / 2.0) / h2h as f64).abs() < 1e-12);
        let ci = &r["ci95"];
        assert!(ci[0].as_f64().unwrap() <= score && score <= ci[1].as_f64().unwrap());
        let f = c["fitness"].as_f64().unwrap();
        let ci = &c["fitness_ci95"];
        assert!(ci[0].as_f64().unwrap() <= f && f <= ci[1].as_f64().unwrap());
        for k in ["random", "greedy", "mcts"] {
            assert!(c["win_rates"][k].is_number(), "{k}");
        }
    }
    // The winner has the best head-to-head score, and its results are repeated at the top.
    let best = cands
        .iter()
        .map(|c| c["h2h"]["score"].as_f64().unwrap())
        .fold(f64::MIN, f64::max);
    let w = cands.iter().find(|c| c["name"] == h["winner"]).unwrap();
    assert_eq!(w["h2h"]["score"].as_f64().unwrap(), best);
    for k in ["fitness", "fitness_ci95", "win_rates", "h2h"] {
        assert_eq!(h[k], w[k], "{k}");
    }
    assert!(h["cpu_s"].as_f64().unwrap() > 0.0);
}

#[test]
fn a_killed_run_resumes_to_the_same_weights() {
    let s = Scratch::new("resume");
    let whole = s.path().join("whole");
    let cut = s.path().join("cut");
    let args = [
        "--fitness-weights",
        "0.1,0.4,0.5",
        "--archive",
        "3",
        "--heldout-games",
        "30",
        "--h2h-games",
        "64",
        "--games",
        "18",
        "--mcts-sims",
        "10",
        "--population",
        "6",
        "--seed",
        "11",
        "--generations",
        "6",
    ];
    let out = run(
        BIN,
        &[&args[..], &["--experiment-dir", whole.to_str().unwrap()]].concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut child = Command::new(BIN)
        .args(args)
        .args(["--experiment-dir", cut.to_str().unwrap(), "--threads", "1"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let cut_dir = loop {
        if let Ok(mut rd) = std::fs::read_dir(&cut)
            && let Some(Ok(e)) = rd.next()
            && e.path().join("checkpoint.json").is_file()
        {
            break e.path();
        }
        assert!(start.elapsed() < Duration::from_secs(120), "no checkpoint");
        std::thread::sleep(Duration::from_millis(5));
    };
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let ck = read_json(&cut_dir.join("checkpoint.json"));
    assert!(
        !cut_dir.join("summary.json").exists(),
        "the run ended before the kill"
    );
    let resumed = run(
        BIN,
        &["--resume", cut_dir.to_str().unwrap(), "--threads", "2"],
    );
    assert!(
        resumed.status.success(),
        "{}",
        String::from_utf8_lossy(&resumed.stderr)
    );
    let whole_dir = only_dir(&whole);
    assert_eq!(
        weights_body(&whole_dir),
        weights_body(&cut_dir),
        "killed after gen {}",
        ck["gen"]
    );
    let a = read_json(&whole_dir.join("summary.json"));
    let b = read_json(&cut_dir.join("summary.json"));
    for k in [
        "best_fitness",
        "best_gen",
        "generations",
        "evaluations",
        "games",
        "win_rates",
        "sigma",
    ] {
        assert_eq!(a[k], b[k], "{k}");
    }
    // The archive was carried through the checkpoint: the same finalists, the same results.
    let (ha, hb) = (&a["heldout"], &b["heldout"]);
    assert_eq!(ha["candidates"], hb["candidates"]);
    assert_eq!(ha["winner"], hb["winner"]);
    check_heldout(ha, 30, 64, 3);
    assert!(ck["archive"].as_array().is_some_and(|m| !m.is_empty()));
    // stats.csv has each generation once.
    let stats = std::fs::read_to_string(cut_dir.join("stats.csv")).unwrap();
    assert_eq!(stats.lines().count(), 7);
}

#[test]
fn deploy_installs_the_best_weights_and_keeps_the_old_file() {
    let s = Scratch::new("deploy");
    let data = s.path().join("data");
    copy_tracked_data(&data);
    let exp = s.path().join("exp");
    let out = run(
        BIN,
        &[
            &SMALL[..],
            &[
                "--generations",
                "1",
                "--mode",
                "specialist",
                "--faction",
                "obsidion",
                "--data",
                data.to_str().unwrap(),
                "--experiment-dir",
                exp.to_str().unwrap(),
                "--deploy",
            ],
        ]
        .concat(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = only_dir(&exp);
    assert!(dir.to_str().unwrap().ends_with("_specialist_obsidion"));
    let target = data.join("weights/specialists/obsidion.toml");
    assert_eq!(
        ew_engine::Weights::load(&target).unwrap(),
        ew_engine::Weights::load(&dir.join("weights.toml")).unwrap()
    );
    let history: Vec<_> = std::fs::read_dir(data.join("weights/.history"))
        .unwrap()
        .collect();
    assert_eq!(history.len(), 1);
    let summary = read_json(&dir.join("summary.json"));
    assert_eq!(summary["faction"], "obsidion");
    assert_eq!(summary["deployed"], target.display().to_string());
}

#[test]
fn objective_mode_reaches_the_target() {
    let out = run(
        BIN,
        &[
            "--objective",
            "ellipsoid",
            "--dim",
            "6",
            "--seed",
            "3",
            "--json",
        ],
    );
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let last: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
    assert_eq!(last["reached"], true);
    assert!(last["best_f"].as_f64().unwrap() <= 1e-8);
    assert!(last["evaluations"].as_u64().unwrap() < 5000, "{last}");
    assert_eq!(last["population"], 9);
    assert!(last["generations"].as_u64().unwrap() > 0);
}

#[test]
fn bad_counts_and_names_are_refused() {
    for bad in ["0", "-1", "many"] {
        assert_usage_error(&run(BIN, &["--games", bad]), &["--games", bad]);
        assert_usage_error(&run(BIN, &["--generations", bad]), &["--generations"]);
    }
    assert_usage_error(
        &run(BIN, &["--mode", "specialist"]),
        &["--faction", "argentum, symbiote, obsidion"],
    );
    assert_usage_error(
        &run(BIN, &["--mode", "specialist", "--faction", "elves"]),
        &["elves", "argentum, symbiote, obsidion"],
    );
    assert_usage_error(&run(BIN, &["--population", "1"]), &["--population"]);
    assert_usage_error(
        &run(BIN, &["--fitness-weights", "1,2"]),
        &["--fitness-weights"],
    );
    assert_usage_error(&run(BIN, &["--objective", "cigar"]), &["cigar", "sphere"]);
    assert_usage_error(
        &run(BIN, &["--resume", "/nonexistent/dir", "--games", "5"]),
        &["--games"],
    );
    assert_usage_error(
        &run(BIN, &["--resume", "/nonexistent/dir"]),
        &["/nonexistent/dir"],
    );
}

#[test]
fn bad_initial_weights_name_the_file_and_key() {
    let s = Scratch::new("initial");
    let w = s.path().join("w.toml");
    std::fs::write(&w, weights_with(&[("win_bonus", "5000")])).unwrap();
    let out = run(
        BIN,
        &[
            "--initial-weights",
            w.to_str().unwrap(),
            "--experiment-dir",
            s.path().to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["w.toml", "win_bonus"]);
    let out = run(
        BIN,
        &[
            "--initial-weights",
            s.path().join("none.toml").to_str().unwrap(),
        ],
    );
    assert_usage_error(&out, &["none.toml"]);
    // Nothing was created for a run that never started.
    assert_eq!(std::fs::read_dir(s.path()).unwrap().count(), 1);
}

#[test]
fn an_unwritable_experiment_dir_is_refused() {
    let s = Scratch::new("unwritable");
    let blocker = s.path().join("file");
    std::fs::write(&blocker, "x").unwrap();
    let out = run(
        BIN,
        &[
            &SMALL[..],
            &[
                "--generations",
                "1",
                "--experiment-dir",
                blocker.join("sub").to_str().unwrap(),
            ],
        ]
        .concat(),
    );
    assert_usage_error(&out, &["cannot create the experiment directory"]);
}

#[test]
fn h2h_games_0_skips_the_heldout_evaluation() {
    let s = Scratch::new("skip");
    let out = run(
        BIN,
        &[
            "--games",
            "6",
            "--mcts-sims",
            "3",
            "--population",
            "4",
            "--generations",
            "2",
            "--h2h-games",
            "0",
            "--games-max",
            "12",
            "--experiment-dir",
            s.path().to_str().unwrap(),
            "--events",
            "jsonl",
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let dir = only_dir(s.path());
    let summary = read_json(&dir.join("summary.json"));
    assert!(summary["heldout"].is_null());
    assert_eq!(summary["games_max"], 12);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.contains("\"event\":\"heldout\""));
    let head = std::fs::read_to_string(dir.join("weights.toml")).unwrap();
    assert!(head.starts_with("# Best in-training weights"), "{head}");
}

/// A weights file with every weight at its lower bound: a bot that cannot tell moves apart.
fn weakest_weights(path: &Path) {
    let values: Vec<f64> = ew_engine::weights::WEIGHT_SPEC
        .iter()
        .map(|d| f64::from(d.min))
        .collect();
    let w = ew_engine::Weights::from_values(&values).unwrap();
    std::fs::write(path, w.to_toml_string()).unwrap();
}

#[test]
fn evaluate_prints_the_candidate_object() {
    let s = Scratch::new("evaluate");
    let weak = s.path().join("weak.toml");
    weakest_weights(&weak);
    let reference = reference_weights("generalist.toml");
    let eval = |cand: &Path| {
        let out = run(
            BIN,
            &[
                "--evaluate",
                cand.to_str().unwrap(),
                "--baseline",
                reference.to_str().unwrap(),
                "--h2h-games",
                "1600",
                "--heldout-games",
                "40",
                "--mcts-sims",
                "3",
                "--threads",
                "2",
                "--json",
            ],
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let stdout = String::from_utf8(out.stdout).unwrap();
        let v: Value = serde_json::from_str(stdout.lines().last().unwrap()).unwrap();
        v
    };
    let v = eval(&weak);
    for k in [
        "name",
        "train_fitness",
        "train_gens",
        "fitness",
        "fitness_ci95",
        "win_rates",
        "h2h",
        "baseline",
        "baseline_sha256",
        "cpu_s",
    ] {
        assert!(v.get(k).is_some(), "{k} missing: {v}");
    }
    assert_eq!(
        v["name"],
        weak.canonicalize().unwrap().display().to_string()
    );
    assert!(v["train_fitness"].is_null());
    assert_eq!(v["h2h"]["games"], 1600);
    assert_eq!(
        v["baseline_sha256"],
        ew_jobs::tune::heldout::sha256_hex(&std::fs::read(&reference).unwrap())
    );
    // A bot that ignores the position loses clearly to the reference.
    assert!(v["h2h"]["ci95"][1].as_f64().unwrap() < 0.5, "{v}");
    // The reference against itself on the same deals: about even, and repeatable.
    let same = eval(&reference);
    let ci = &same["h2h"]["ci95"];
    assert!(
        ci[0].as_f64().unwrap() < 0.5 && 0.5 < ci[1].as_f64().unwrap(),
        "{same}"
    );
    let again = eval(&reference);
    assert_eq!(same["h2h"], again["h2h"]);
    assert_eq!(same["fitness"], again["fitness"]);
}

#[test]
fn evaluate_refuses_bad_input_in_one_line() {
    let s = Scratch::new("evaluate-bad");
    let reference = reference_weights("generalist.toml");
    let r = reference.to_str().unwrap();
    let missing = s.path().join("none.toml");
    assert_usage_error(
        &run(BIN, &["--evaluate", missing.to_str().unwrap(), "--json"]),
        &["none.toml"],
    );
    let bad = s.path().join("bad.toml");
    std::fs::write(&bad, weights_with(&[("win_bonus", "5000")])).unwrap();
    assert_usage_error(
        &run(BIN, &["--evaluate", bad.to_str().unwrap(), "--json"]),
        &["bad.toml", "win_bonus"],
    );
    assert_usage_error(
        &run(
            BIN,
            &[
                "--evaluate",
                r,
                "--baseline",
                bad.to_str().unwrap(),
                "--json",
            ],
        ),
        &["bad.toml", "win_bonus"],
    );
    assert_usage_error(
        &run(BIN, &["--evaluate", r, "--generations", "3"]),
        &["--generations"],
    );
    assert_usage_error(
        &run(BIN, &["--evaluate", r, "--h2h-games", "0"]),
        &["--h2h-games"],
    );
    assert_usage_error(
        &run(
            BIN,
            &[
                "--evaluate",
                r,
                "--mode",
                "specialist",
                "--faction",
                "elves",
            ],
        ),
        &["elves", "argentum, symbiote, obsidion"],
    );
    assert_usage_error(&run(BIN, &["--json", "--games", "5"]), &["--json"]);
    assert_usage_error(
        &run(BIN, &["--baseline", missing.to_str().unwrap()]),
        &["none.toml"],
    );
}
