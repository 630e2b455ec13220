//! Time as the system sees it: real in production, moved by hand in tests, or running
//! from a chosen instant (the demo lives in December 2023, while its flood is under way).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// UTC milliseconds since the Unix epoch, from a source the caller chooses.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that only moves when told to.
    Manual(Arc<AtomicI64>),
    /// The system clock shifted by a fixed number of milliseconds: time runs at its real
    /// pace (sessions expire, deadlines pass, the worker wakes) but from another instant.
    Offset(i64),
}

fn system_ms() -> i64 {
    let t = time::OffsetDateTime::now_utc();
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

impl Clock {
    pub fn manual(start_ms: i64) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(start_ms)))
    }

    /// A running clock that reads `start_ms` now.
    pub fn starting_at(start_ms: i64) -> Self {
        Clock::Offset(start_ms - system_ms())
    }

    /// A running clock that reads `date` now, at the present time of day in Chongqing
    /// (so a demo started in the afternoon is in the afternoon of that date).
    pub fn on_date(date: time::Date) -> Self {
        let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+8));
        let then = now.replace_date(date);
        Clock::starting_at((then.unix_timestamp_nanos() / 1_000_000) as i64)
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => system_ms(),
            Clock::Manual(t) => t.load(Ordering::SeqCst),
            Clock::Offset(d) => system_ms() + d,
        }
    }

    pub fn today(&self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
            .map(|t| t.to_offset(time::macros::offset!(+8)).date())
            .unwrap_or(time::Date::MIN)
    }

    /// Moves a manual clock forward; a running clock (system or offset) ignores it.
    pub fn advance_ms(&self, ms: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn an_offset_clock_lives_on_its_date() {
        let c = Clock::on_date(date!(2023 - 12 - 18));
        assert_eq!(c.today(), date!(2023 - 12 - 18));
        c.advance_ms(86_400_000 * 30);
        assert_eq!(c.today(), date!(2023 - 12 - 18), "and is not moved by hand");
    }

    #[test]
    fn starting_at_reads_the_instant() {
        let c = Clock::starting_at(1_702_857_600_000); // 2023-12-18T00:00:00Z
        let d = c.now_ms() - 1_702_857_600_000;
        assert!((0..60_000).contains(&d), "{d}");
    }
}
