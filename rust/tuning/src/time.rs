//! UTC timestamps for directory names and reports, without a calendar dependency.

use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the Unix epoch.
pub fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// A UTC date and time of day.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utc {
    pub year: i64,
    pub month: u32,
    pub day: u32,
    pub hour: u32,
    pub minute: u32,
    pub second: u32,
}

impl Utc {
    pub fn now() -> Self {
        Self::from_unix(unix_now().floor() as i64)
    }

    pub fn from_unix(secs: i64) -> Self {
        let days = secs.div_euclid(86_400);
        let tod = secs.rem_euclid(86_400);
        let (year, month, day) = civil_from_days(days);
        Utc {
            year,
            month,
            day,
            hour: (tod / 3600) as u32,
            minute: (tod / 60 % 60) as u32,
            second: (tod % 60) as u32,
        }
    }

    /// `YYYY-MM-DD_HHMM`, the experiment directory stamp.
    pub fn minute_stamp(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}_{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )
    }

    /// `YYYY-MM-DD_HHMMSS`, the default validation run id.
    pub fn second_stamp(&self) -> String {
        format!("{}{:02}", self.minute_stamp(), self.second)
    }

    /// `YYYYMMDD_HHMMSS`, for backup file names.
    pub fn compact(&self) -> String {
        format!(
            "{:04}{:02}{:02}_{:02}{:02}{:02}",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }

    /// RFC 3339, `YYYY-MM-DDTHH:MM:SSZ`.
    pub fn rfc3339(&self) -> String {
        format!(
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
            self.year, self.month, self.day, self.hour, self.minute, self.second
        )
    }
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_instants() {
        assert_eq!(Utc::from_unix(0).rfc3339(), "1970-01-01T00:00:00Z");
        // 2024-02-29 13:05:09 UTC (a leap day).
        let t = Utc::from_unix(1_709_211_909);
        assert_eq!(t.rfc3339(), "2024-02-29T13:05:09Z");
        assert_eq!(t.minute_stamp(), "2024-02-29_1305");
        assert_eq!(t.second_stamp(), "2024-02-29_130509");
        assert_eq!(t.compact(), "20240229_130509");
        assert_eq!(Utc::from_unix(-1).rfc3339(), "1969-12-31T23:59:59Z");
    }
}
