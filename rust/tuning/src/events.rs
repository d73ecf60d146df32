//! Event lines: one JSON object per line, `{"v":1,"event":TYPE,"t":UNIX_SECONDS,...}`, flushed
//! as written so a reader sees progress live. The table of events is in `docs/architecture.md`.

use std::fs::File;
use std::io::{self, Write};
use std::path::Path;
use std::sync::Mutex;

use serde_json::{Map, Value, json};

use crate::files::open_append;
use crate::time::unix_now;

/// Where event lines go: stdout (with `--events jsonl`) and/or a file mirror. Safe to share
/// between threads; each line is written whole.
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

    /// Builds the line of event `kind` with `fields` (an object; other values are put under
    /// `data`).
    pub fn line(kind: &str, fields: Value) -> String {
        let mut obj = Map::new();
        obj.insert("v".into(), json!(1));
        obj.insert("event".into(), json!(kind));
        obj.insert("t".into(), json!((unix_now() * 1000.0).round() / 1000.0));
        match fields {
            Value::Object(m) => obj.extend(m),
            Value::Null => {}
            other => {
                obj.insert("data".into(), other);
            }
        }
        Value::Object(obj).to_string()
    }

    /// Sends one event. A closed stdout is not an error (the job keeps its files); a failing
    /// mirror file is.
    pub fn emit(&self, kind: &str, fields: Value) -> io::Result<()> {
        let line = Self::line(kind, fields);
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

    #[test]
    fn lines_carry_the_envelope_and_fields() {
        let line = EventSink::line("progress", json!({"done": 3, "total": 10}));
        let v: Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["v"], 1);
        assert_eq!(v["event"], "progress");
        assert!(v["t"].as_f64().unwrap() > 1.6e9);
        assert_eq!(v["done"], 3);
        assert!(!line.contains('\n'));
    }

    #[test]
    fn mirror_file_gets_every_line() {
        let path = std::env::temp_dir().join(format!("ew-events-{}.jsonl", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let sink = EventSink::new(false);
        sink.mirror_to(&path).unwrap();
        sink.emit("log", json!({"level": "info", "msg": "a"}))
            .unwrap();
        sink.emit("log", json!({"level": "info", "msg": "b"}))
            .unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert_eq!(text.lines().count(), 2);
        std::fs::remove_file(&path).unwrap();
    }
}
