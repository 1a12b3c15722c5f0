//! Wall-clock time for the core: the [`Clock`] a device reads (the system's, or one a test
//! moves on), milliseconds since the Unix epoch and RFC 3339 text.

use std::fmt;
use std::sync::atomic::{AtomicI64, Ordering};

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// Where the core reads the time: login back-off, retention, log and receipt times. The app
/// and the CLI use [`SystemClock`]; tests move a [`ManualClock`] on instead of sleeping.
pub trait Clock: Send + Sync {
    /// Milliseconds since the Unix epoch.
    fn now_ms(&self) -> i64;
}

/// The system's clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> i64 {
        now_ms()
    }
}

/// A clock that stands still until moved: starts at the system's time.
pub struct ManualClock(AtomicI64);

impl ManualClock {
    /// A clock showing the system's time now.
    pub fn new() -> ManualClock {
        ManualClock(AtomicI64::new(now_ms()))
    }

    /// A clock showing `ms` (milliseconds since the Unix epoch).
    pub fn at(ms: i64) -> ManualClock {
        ManualClock(AtomicI64::new(ms))
    }

    /// Moves the clock on by `ms` (back when negative).
    pub fn advance_ms(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Default for ManualClock {
    fn default() -> ManualClock {
        ManualClock::new()
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}

impl fmt::Debug for dyn Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Clock({})", rfc3339(self.now_ms()))
    }
}

/// Milliseconds since the Unix epoch on the system's clock. The core reads time through a
/// device's [`Clock`] instead.
pub fn now_ms() -> i64 {
    (OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000) as i64
}

/// RFC 3339 text (UTC, always three fraction digits) for a millisecond timestamp.
pub fn rfc3339(ms: i64) -> String {
    let format = time::macros::format_description!(
        "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
    );
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .ok()
        .and_then(|t| t.format(&format).ok())
        .unwrap_or_else(|| ms.to_string())
}

/// The UTC day (`YYYY-MM-DD`) of a millisecond timestamp; the RFC 3339 text's first ten
/// characters, or all of it for a time outside what RFC 3339 can write.
pub fn day(ms: i64) -> String {
    rfc3339(ms).chars().take(10).collect()
}

/// Parses RFC 3339 text or a plain date (`2026-11-29`, midnight UTC) to milliseconds.
pub fn parse_ms(text: &str) -> Option<i64> {
    if let Ok(t) = OffsetDateTime::parse(text, &Rfc3339) {
        return Some((t.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let date = time::Date::parse(
        text,
        time::macros::format_description!("[year]-[month]-[day]"),
    )
    .ok()?;
    Some(date.midnight().assume_utc().unix_timestamp() * 1000)
}
