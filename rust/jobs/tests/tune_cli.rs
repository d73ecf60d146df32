//! The `tune` binary from the outside: experiment files, exact resume, deploy, the objective
//! mode and bad input.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_tune");

/// A small but real configuration: 4 candidates x 6 games, MCTS with 3 simulations.
const SMALL: [&str; 10] = [
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
    assert_eq!(summary["evaluations"], 12);
    assert_eq!(summary["games"], 72);
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
            "done"
        ]
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

#[test]
fn a_killed_run_resumes_to_the_same_weights() {
    let s = Scratch::new("resume");
    let whole = s.path().join("whole");
    let cut = s.path().join("cut");
    let args = [
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
    // stats.csv has each generation once.
    let stats = std::fs::read_to_string(cut_dir.join("stats.csv")).unwrap();
    assert_eq!(stats.lines().count(), 7);
}

#[test]
fn deploy_installs_the_best_weights_and_keeps_the_old_file() {
    let s = Scratch::new("deploy");
    let data = s.path().join("data");
    copy_dir(&data_dir(), &data);
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
