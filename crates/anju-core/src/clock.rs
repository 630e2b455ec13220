//! Time as the system sees it: real in production, moved by hand in tests.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// UTC milliseconds since the Unix epoch, from a source the caller chooses.
#[derive(Debug, Clone, Default)]
pub enum Clock {
    #[default]
    System,
    /// A clock that only moves when told to.
    Manual(Arc<AtomicI64>),
}

impl Clock {
    pub fn manual(start_ms: i64) -> Self {
        Clock::Manual(Arc::new(AtomicI64::new(start_ms)))
    }

    pub fn now_ms(&self) -> i64 {
        match self {
            Clock::System => {
                let t = time::OffsetDateTime::now_utc();
                (t.unix_timestamp_nanos() / 1_000_000) as i64
            }
            Clock::Manual(t) => t.load(Ordering::SeqCst),
        }
    }

    pub fn today(&self) -> time::Date {
        time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(self.now_ms()) * 1_000_000)
            .map(|t| t.to_offset(time::macros::offset!(+8)).date())
            .unwrap_or(time::Date::MIN)
    }

    /// Moves a manual clock forward; a system clock ignores it.
    pub fn advance_ms(&self, ms: i64) {
        if let Clock::Manual(t) = self {
            t.fetch_add(ms, Ordering::SeqCst);
        }
    }
}
