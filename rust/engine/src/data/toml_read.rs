//! Typed access to one TOML table with errors that name the file, entry and field.

use std::path::Path;

use toml::{Table, Value};

use super::error::DataError;

/// Reads and parses a TOML file into a table.
pub fn read_table(path: &Path) -> Result<Table, DataError> {
    let text = std::fs::read_to_string(path).map_err(|e| DataError::io(path, &e))?;
    parse_table(path, &text)
}

/// Parses TOML text; syntax errors become one line with the line number.
pub fn parse_table(path: &Path, text: &str) -> Result<Table, DataError> {
    text.parse::<Table>().map_err(|e| {
        let line = e
            .span()
            .map(|s| text.bytes().take(s.start).filter(|&b| b == b'\n').count() + 1);
        let msg = e.message().lines().next().unwrap_or("invalid TOML").trim();
        DataError::Syntax {
            file: path.to_path_buf(),
            msg: match line {
                Some(l) => format!("line {l}: {msg}"),
                None => msg.to_string(),
            },
        }
    })
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::String(_) => "a string",
        Value::Integer(_) => "an integer",
        Value::Float(_) => "a float",
        Value::Boolean(_) => "a boolean",
        Value::Datetime(_) => "a datetime",
        Value::Array(_) => "an array",
        Value::Table(_) => "a table",
    }
}

/// One entry (a card, a deck, the rules) being read; `prefix` qualifies nested field names.
pub struct Entry<'a> {
    pub file: &'a Path,
    pub entry: String,
    pub prefix: String,
    pub table: &'a Table,
}

impl<'a> Entry<'a> {
    pub fn new(file: &'a Path, entry: impl Into<String>, table: &'a Table) -> Entry<'a> {
        Entry {
            file,
            entry: entry.into(),
            prefix: String::new(),
            table,
        }
    }

    /// A view of a nested table whose fields are reported as `prefix.field`.
    pub fn nested(&self, prefix: String, table: &'a Table) -> Entry<'a> {
        Entry {
            file: self.file,
            entry: self.entry.clone(),
            prefix,
            table,
        }
    }

    pub fn field_name(&self, field: &str) -> String {
        if self.prefix.is_empty() {
            field.to_string()
        } else {
            format!("{}.{}", self.prefix, field)
        }
    }

    pub fn err(&self, field: &str, msg: impl Into<String>) -> DataError {
        DataError::field(self.file, &self.entry, &self.field_name(field), msg)
    }

    /// Rejects fields not in `allowed` (typos must not be silently ignored).
    pub fn only(&self, allowed: &[&str]) -> Result<(), DataError> {
        match self.table.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(self.err(
                k,
                format!("unknown field (expected one of: {})", allowed.join(", ")),
            )),
            None => Ok(()),
        }
    }

    pub fn has(&self, field: &str) -> bool {
        self.table.contains_key(field)
    }

    fn get(&self, field: &str) -> Result<&'a Value, DataError> {
        self.table
            .get(field)
            .ok_or_else(|| self.err(field, "missing"))
    }

    pub fn str(&self, field: &str) -> Result<&'a str, DataError> {
        match self.get(field)? {
            Value::String(s) => Ok(s),
            v => Err(self.err(field, format!("expected a string, found {}", type_name(v)))),
        }
    }

    pub fn opt_str(&self, field: &str) -> Result<Option<&'a str>, DataError> {
        if self.has(field) {
            self.str(field).map(Some)
        } else {
            Ok(None)
        }
    }

    pub fn bool_or(&self, field: &str, default: bool) -> Result<bool, DataError> {
        match self.table.get(field) {
            None => Ok(default),
            Some(Value::Boolean(b)) => Ok(*b),
            Some(v) => Err(self.err(field, format!("expected a boolean, found {}", type_name(v)))),
        }
    }

    pub fn int(&self, field: &str, lo: i64, hi: i64) -> Result<i64, DataError> {
        match self.get(field)? {
            Value::Integer(i) if (lo..=hi).contains(i) => Ok(*i),
            Value::Integer(i) => {
                Err(self.err(field, format!("value {i} out of range {lo}..={hi}")))
            }
            v => Err(self.err(
                field,
                format!("expected an integer, found {}", type_name(v)),
            )),
        }
    }

    pub fn int_or(&self, field: &str, lo: i64, hi: i64, default: i64) -> Result<i64, DataError> {
        if self.has(field) {
            self.int(field, lo, hi)
        } else {
            Ok(default)
        }
    }

    pub fn float(&self, field: &str) -> Result<f64, DataError> {
        match self.get(field)? {
            Value::Float(f) => Ok(*f),
            Value::Integer(i) => Ok(*i as f64),
            v => Err(self.err(field, format!("expected a number, found {}", type_name(v)))),
        }
    }

    pub fn str_list(&self, field: &str) -> Result<Vec<&'a str>, DataError> {
        match self.table.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::String(s) => Ok(s.as_str()),
                    v => Err(self.err(
                        &format!("{field}[{i}]"),
                        format!("expected a string, found {}", type_name(v)),
                    )),
                })
                .collect(),
            Some(v) => Err(self.err(field, format!("expected an array, found {}", type_name(v)))),
        }
    }

    /// An array of tables (`[[name]]`); absent means empty.
    pub fn tables(&self, field: &str) -> Result<Vec<&'a Table>, DataError> {
        match self.table.get(field) {
            None => Ok(Vec::new()),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, v)| match v {
                    Value::Table(t) => Ok(t),
                    v => Err(self.err(
                        &format!("{field}[{i}]"),
                        format!("expected a table, found {}", type_name(v)),
                    )),
                })
                .collect(),
            Some(v) => Err(self.err(
                field,
                format!("expected an array of tables, found {}", type_name(v)),
            )),
        }
    }

    pub fn table(&self, field: &str) -> Result<&'a Table, DataError> {
        match self.get(field)? {
            Value::Table(t) => Ok(t),
            v => Err(self.err(field, format!("expected a table, found {}", type_name(v)))),
        }
    }
}
