//! Where event lines go: stdout (with `--events jsonl`) and/or a file mirror, each line flushed
//! as written so a reader sees progress live.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

use ew_tuning::files::open_append;
use ew_tuning::time::unix_now;

use super::{Event, EventLine};

/// Safe to share between threads; each line is written whole.
pub struct EventSink {
    stdout: bool,
    file: Mutex<Option<File>>,
}

impl EventSink {
    pub fn new(stdout: bool) -> Self {
        Self {
            stdout,
            file: Mutex::new(None),
        }
    }

    /// Also appends every line to `path` from now on.
    pub fn mirror_to(&self, path: &Path) -> io::Result<()> {
        let f = open_append(path)?;
        *self.file.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
        Ok(())
    }

    pub fn to_stdout(&self) -> bool {
        self.stdout
    }

    /// Sends one event, stamped now. A closed stdout is not an error (the job keeps its files);
    /// a failing mirror file is.
    pub fn emit(&self, event: Event) -> io::Result<()> {
        let line = EventLine::new(event, unix_now()).to_json();
        // One lock orders the stdout and file copies identically across threads.
        let mut file = self.file.lock().unwrap_or_else(|e| e.into_inner());
        if self.stdout {
            let out = io::stdout();
            let mut out = out.lock();
            let _ = writeln!(out, "{line}").and_then(|_| out.flush());
        }
        if let Some(f) = file.as_mut() {
            writeln!(f, "{line}")?;
            f.flush()?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Level, Log, Progress, Unit};

    #[test]
    fn lines_carry_the_envelope_and_fields() {
        let event = Event::Progress(Progress {
            done: 3,
            total: 10,
            unit: Unit::Game,
        });
        let line = EventLine::new(event, unix_now()).to_json();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["event"], "progress");
        assert!(v["t"].as_f64().unwrap() > 1.6e9);
        assert_eq!(v["done"], 3);
        assert_eq!(v["unit"], "game");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn mirror_file_gets_every_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.jsonl");
        let sink = EventSink::new(false);
        sink.mirror_to(&path).unwrap();
        for msg in ["a", "b"] {
            let log = Log {
                level: Level::Info,
                msg: msg.into(),
            };
            sink.emit(Event::Log(log)).unwrap();
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<EventLine> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(lines.len(), 2);
        assert!(matches!(&lines[1].event, Event::Log(l) if l.msg == "b"));
    }
}
