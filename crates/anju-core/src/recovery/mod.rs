//! Recovery after a disaster (灾后恢复重建): the disaster and its schedule, house damage
//! assessments with their crosswalk to other scales, reconstruction cases moved by
//! inspection gates, and the figures rolled up per area. Pure rules; the store writes
//! what they decide (docs/recovery.md).

pub mod case;
pub mod damage;
pub mod disaster;
pub mod figures;

pub use case::{
    CaseError, CaseState, Gate, GateKind, GateOutcome, GateStep, Plan, Stage, TrancheStatus,
    gate_after, gates, pay, tranche_amounts,
};
pub use damage::{AssessmentInput, DamageGrade, Fema, NewAssessment, Outcome, crosswalk};
pub use disaster::{DisasterInput, DisasterPatch, Hazard, NewDisaster, Schedule};
pub use figures::{CaseFigures, Figures};

/// The end of a calendar day in China time (UTC+8), in UTC milliseconds: when a
/// milestone falling on that day has passed.
pub fn end_of_day_ms(d: time::Date) -> i64 {
    let midnight_utc = d.midnight().assume_utc().unix_timestamp() * 1000;
    // 24:00 at +08:00 is 16:00 UTC of the same date.
    midnight_utc + 16 * 3_600_000
}

/// The calendar day in China time of a UTC millisecond instant.
pub fn china_date(ms: i64) -> time::Date {
    time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(ms) * 1_000_000)
        .map(|t| t.to_offset(time::macros::offset!(+8)).date())
        .unwrap_or(time::Date::MIN)
}

pub(crate) fn parse_date(s: &str) -> Result<time::Date, String> {
    time::Date::parse(
        s.trim(),
        &time::format_description::well_known::Iso8601::DATE,
    )
    .map_err(|_| format!("{s:?} is not a date like 2024-02-10"))
}

/// `YYYY-MM-DD`.
pub fn format_date(d: time::Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_end_in_china_time() {
        let d = date!(2024 - 02 - 10);
        let end = end_of_day_ms(d);
        assert_eq!(china_date(end - 1), d);
        assert_eq!(china_date(end), date!(2024 - 02 - 11));
        assert_eq!(format_date(d), "2024-02-10");
        assert_eq!(parse_date("2024-02-10"), Ok(d));
        assert!(parse_date("2024-2-30").is_err());
    }
}
