//! Time as seconds since the Unix epoch, behind a trait so tests can move it.

use std::time::{SystemTime, UNIX_EPOCH};

pub trait Clock: Send + Sync {
    /// Seconds since the Unix epoch.
    fn now(&self) -> i64;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> i64 {
        SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    }
}

/// `YYYY-MM-DD` (UTC) for an epoch-seconds timestamp.
pub(crate) fn date(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .map(|t| {
            let d = t.date();
            format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
        })
        .unwrap_or_default()
}

/// `YYYY-MM-DD HH:MM UTC` for an epoch-seconds timestamp.
pub(crate) fn date_time(epoch: i64) -> String {
    time::OffsetDateTime::from_unix_timestamp(epoch)
        .map(|t| {
            let d = t.date();
            format!(
                "{:04}-{:02}-{:02} {:02}:{:02} UTC",
                d.year(),
                u8::from(d.month()),
                d.day(),
                t.hour(),
                t.minute()
            )
        })
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_dates_in_utc() {
        assert_eq!(date(0), "1970-01-01");
        assert_eq!(date(1_764_115_200), "2025-11-26");
        assert_eq!(date_time(1_764_115_200 + 3723), "2025-11-26 01:02 UTC");
    }
}
