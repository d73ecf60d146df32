//! Where a report goes and how it is written: `results.json` alone (`--output`), or a run
//! directory with `results.json`, `summary.txt` and `config.toml`. A full run and
//! `validate merge` write through the same function, so their files cannot drift apart.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ew_tuning::cpu::process_cpu_seconds;
use ew_tuning::files::{ensure_writable_dir, write_atomic};
use ew_tuning::time::Utc;
use serde_json::json;

use super::report::{Results, bot_label, summary_text};
use crate::error::JobError;
use crate::events::{Done, Event};
use crate::reporter::Reporter;

/// Where the results go.
pub enum Destination {
    /// `--output F`: the JSON alone.
    File(PathBuf),
    /// A run directory; `run_id` is recorded in its `config.toml`.
    Dir { dir: PathBuf, run_id: String },
}

impl Destination {
    /// `--output F`: checked (and its directory created) before any work is done.
    pub fn file(out: &Path) -> Result<Destination, JobError> {
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        if out.is_dir() {
            return Err(JobError::Io {
                path: out.to_path_buf(),
                msg: "--output names a directory; give a file path".into(),
            });
        }
        ensure_writable_dir(&parent).map_err(|e| cannot_write(&parent, &e))?;
        Ok(Destination::File(out.to_path_buf()))
    }

    /// A run directory, created if missing. `taken` says whether what it holds already
    /// forbids writing a report there.
    pub fn dir(dir: PathBuf, taken: impl Fn(&Path) -> bool) -> Result<Destination, JobError> {
        if dir.is_dir() && taken(&dir) {
            return Err(JobError::Io {
                path: dir,
                msg: "already holds a validation run; choose another --run-id or directory".into(),
            });
        }
        ensure_writable_dir(&dir).map_err(|e| cannot_write(&dir, &e))?;
        let run_id = dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        Ok(Destination::Dir { dir, run_id })
    }

    pub fn job_name(&self) -> String {
        match self {
            Destination::File(p) => format!("validate:{}", p.display()),
            Destination::Dir { run_id, .. } => format!("validate:{run_id}"),
        }
    }
}

/// True when `dir` holds any entry.
pub fn non_empty(dir: &Path) -> bool {
    std::fs::read_dir(dir)
        .map(|mut d| d.next().is_some())
        .unwrap_or(true)
}

fn cannot_write(dir: &Path, e: &std::io::Error) -> JobError {
    JobError::Io {
        path: dir.to_path_buf(),
        msg: format!("cannot write the output here: {e}"),
    }
}

/// Writes the report to `destination` and sends the `done` event. `settings` are the
/// run-specific entries of `config.toml` beyond what `results.json` records.
pub fn write_report(
    destination: &Destination,
    results: &Results,
    settings: toml::Table,
    rep: &Reporter,
) -> Result<(), JobError> {
    let mut json_text = serde_json::to_string_pretty(results)
        .map_err(|e| JobError::Internal(format!("results do not serialise: {e}")))?;
    json_text.push('\n');
    let summary = json!({
        "verdict": results.verdict.as_str(),
        "games": results.games,
        "matchups": results.matchups.len(),
        "time_s": results.time_s,
        "first_seat_win_rate": results.first_seat.win_rate,
        "warnings": results.warnings.len(),
        // What this process used (user + sys, every thread): the figure a run's estimate is
        // compared with, as tune's `cpu_s` is for training.
        "cpu_s": process_cpu_seconds(),
    });
    let summary = summary.as_object().cloned().unwrap_or_default();
    let (outputs, shown) = match destination {
        Destination::File(path) => {
            write_atomic(path, json_text.as_bytes()).map_err(|e| JobError::io(path, &e))?;
            (
                BTreeMap::from([("results".into(), path.display().to_string())]),
                path,
            )
        }
        Destination::Dir { dir, run_id } => {
            let results_path = dir.join("results.json");
            let summary_path = dir.join("summary.txt");
            let config_path = dir.join("config.toml");
            let text = summary_text(results);
            let config = config_toml(results, run_id, settings);
            write_atomic(&config_path, config.as_bytes())
                .map_err(|e| JobError::io(&config_path, &e))?;
            write_atomic(&summary_path, text.as_bytes())
                .map_err(|e| JobError::io(&summary_path, &e))?;
            // results.json last: its presence means the directory is complete.
            write_atomic(&results_path, json_text.as_bytes())
                .map_err(|e| JobError::io(&results_path, &e))?;
            // The report is the human output: stdout, unless stdout carries event lines.
            if rep.events_on_stdout() {
                eprint!("{text}");
            } else {
                print!("{text}");
            }
            (
                BTreeMap::from([
                    ("results".into(), results_path.display().to_string()),
                    ("summary_txt".into(), summary_path.display().to_string()),
                    ("config".into(), config_path.display().to_string()),
                ]),
                dir,
            )
        }
    };
    rep.info(&format!(
        "verdict {}; results in {}",
        results.verdict.as_str(),
        shown.display()
    ));
    rep.event(Event::Done(Done { summary, outputs }));
    Ok(())
}

/// `config.toml`: the run id, when it was written, the settings `results.json` records
/// (the bot as `greedy` / `mcts:SIMS`), the caller's `settings`, and each faction's weights.
fn config_toml(results: &Results, run_id: &str, settings: toml::Table) -> String {
    let c = &results.config;
    let s = |v: &str| toml::Value::String(v.to_string());
    let int = |k: &str| toml::Value::Integer(c.get(k).and_then(|v| v.as_i64()).unwrap_or(0));
    let mut t = toml::Table::new();
    t.insert("run_id".into(), s(run_id));
    t.insert("created".into(), s(&Utc::now().rfc3339()));
    t.insert("games".into(), int("games"));
    t.insert("seed".into(), int("seed"));
    t.insert("bot".into(), s(&bot_label(c)));
    t.insert("mcts_sims".into(), int("mcts_sims"));
    t.insert(
        "matchup".into(),
        s(c.get("matchup").and_then(|v| v.as_str()).unwrap_or("all")),
    );
    t.extend(settings);
    if let Some(w) = c.get("weights").and_then(|w| w.as_object()) {
        let mut wt = toml::Table::new();
        for (f, v) in w {
            let mut e = toml::Table::new();
            for k in ["kind", "file"] {
                if let Some(x) = v.get(k).and_then(|x| x.as_str()) {
                    e.insert(k.into(), s(x));
                }
            }
            wt.insert(f.clone(), toml::Value::Table(e));
        }
        t.insert("weights".into(), toml::Value::Table(wt));
    }
    let mut text = String::from("# Resolved configuration of this validation run\n");
    text.push_str(&toml::to_string(&t).unwrap_or_default());
    text
}
