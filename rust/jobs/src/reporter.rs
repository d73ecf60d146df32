//! What a job tells the world while it runs: event lines (stdout with `--events jsonl`, plus
//! the experiment's `events.jsonl`) and the human log (stderr, plus `train.log`).

use std::fs::File;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ew_tuning::files::open_append;
use ew_tuning::time::Utc;

use crate::error::JobError;
use crate::events::{ErrorEvent, Event, EventSink, Level, Log};

pub struct Reporter {
    events: EventSink,
    log_file: Mutex<Option<File>>,
    /// Progress lines on stderr for a person at a terminal: the last one printed, if enabled.
    stderr_progress: Option<Mutex<Option<Instant>>>,
}

/// How often a progress line goes to stderr (the first and the last always do).
const STDERR_PROGRESS_EVERY: Duration = Duration::from_secs(5);

impl Reporter {
    pub fn new(events_on_stdout: bool) -> Self {
        Self {
            events: EventSink::new(events_on_stdout),
            log_file: Mutex::new(None),
            stderr_progress: None,
        }
    }

    /// Also print `progress` events to stderr as lines, at most every few seconds (for a run
    /// without `--events` watched at a terminal, which would otherwise print nothing for
    /// minutes).
    pub fn with_stderr_progress(mut self) -> Self {
        self.stderr_progress = Some(Mutex::new(None));
        self
    }

    fn progress_line(&self, event: &Event) {
        let (Some(last), Event::Progress(p)) = (&self.stderr_progress, event) else {
            return;
        };
        let mut last = last.lock().unwrap_or_else(|e| e.into_inner());
        let due = last.is_none_or(|t| t.elapsed() >= STDERR_PROGRESS_EVERY);
        if due || p.done == p.total {
            *last = Some(Instant::now());
            let pct = (100 * p.done).checked_div(p.total).unwrap_or(0);
            eprintln!("progress: {}/{} games ({pct}%)", p.done, p.total);
        }
    }

    /// Mirrors events into `events` and the human log into `log` from now on (appending).
    pub fn attach_files(&self, events: &Path, log: &Path) -> Result<(), JobError> {
        self.events
            .mirror_to(events)
            .map_err(|e| JobError::io(events, &e))?;
        let f = open_append(log).map_err(|e| JobError::io(log, &e))?;
        *self.log_file.lock().unwrap_or_else(|e| e.into_inner()) = Some(f);
        Ok(())
    }

    /// Whether stdout is reserved for event lines.
    pub fn events_on_stdout(&self) -> bool {
        self.events.to_stdout()
    }

    pub fn event(&self, event: Event) {
        self.progress_line(&event);
        if let Err(e) = self.events.emit(event) {
            // The event mirror is a convenience copy; losing it must not stop the job.
            eprintln!("warning: cannot write events.jsonl: {e}");
        }
    }

    /// A human log line (stderr and the log file), also sent as a `log` event.
    pub fn log(&self, level: Level, msg: &str) {
        let stamp = Utc::now().rfc3339();
        let line = format!("{stamp} {:<5} {msg}", level.as_str());
        eprintln!("{line}");
        if let Some(f) = self
            .log_file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let _ = writeln!(f, "{line}");
        }
        self.event(Event::Log(Log {
            level,
            msg: msg.to_string(),
        }));
    }

    pub fn info(&self, msg: &str) {
        self.log(Level::Info, msg);
    }

    pub fn warn(&self, msg: &str) {
        self.log(Level::Warn, msg);
    }

    /// Reports a failure: the one-line message on stderr and an `error` event.
    pub fn error(&self, bin: &str, err: &JobError) {
        eprintln!("{bin}: error: {err}");
        if let Some(f) = self
            .log_file
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .as_mut()
        {
            let _ = writeln!(f, "{} error {err}", Utc::now().rfc3339());
        }
        self.event(Event::Error(ErrorEvent {
            msg: err.to_string(),
            kind: err.kind(),
        }));
    }
}
