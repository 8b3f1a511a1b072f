//! Service-level deadlines (时限) in working days: the provider has one working day for each of its
//! steps; the administration 3–20 by province (SPEC §5). A step started at `start` with `n`
//! working days is due at the end of the n-th working day after the start date (China time).

use time::{Date, OffsetDateTime, Time, UtcOffset};

use crate::calendar::WorkCalendar;

/// China Standard Time: no daylight saving.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(o) => o,
    Err(_) => UtcOffset::UTC,
};

/// A deadline and whether it rests on a year whose calendar is not published yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadline {
    /// The last moment of the due date, China time.
    pub due: OffsetDateTime,
    pub due_date: Date,
    pub estimated: bool,
}

/// The deadline of a step of `working_days` started at `start`.
pub fn deadline(calendar: &WorkCalendar, start: OffsetDateTime, working_days: u32) -> Deadline {
    let start_date = start.to_offset(CHINA).date();
    let due = calendar.add_working_days(start_date, working_days);
    let end_of_day = due
        .date
        .with_time(Time::from_hms(23, 59, 59).unwrap_or(Time::MIDNIGHT))
        .assume_offset(CHINA);
    Deadline {
        due: end_of_day,
        due_date: due.date,
        estimated: due.estimated,
    }
}

/// Is the step overdue at `now`?
pub fn breached(d: &Deadline, now: OffsetDateTime) -> bool {
    now > d.due
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn provider_step_over_national_day() {
        let c = WorkCalendar::embedded().unwrap();
        // Submitted on the afternoon of 2025-09-30: the next working day is 2025-10-09.
        let d = deadline(&c, datetime!(2025-09-30 16:00 +8), 1);
        assert_eq!(d.due_date, date!(2025 - 10 - 09));
        assert!(!d.estimated);
        assert!(!breached(&d, datetime!(2025-10-09 23:00 +8)));
        assert!(breached(&d, datetime!(2025-10-10 00:00 +8)));
    }

    #[test]
    fn utc_start_is_taken_in_china_time() {
        let c = WorkCalendar::embedded().unwrap();
        // 2026-11-20 17:00 UTC is Saturday 01:00 in China: one working day later is Monday 23rd.
        let d = deadline(&c, datetime!(2026-11-20 17:00 UTC), 1);
        assert_eq!(d.due_date, date!(2026 - 11 - 23));
    }

    #[test]
    fn administration_review_of_20_days_into_an_unpublished_year_is_an_estimate() {
        let c = WorkCalendar::embedded().unwrap();
        let (_, last) = c.published_years();
        let start = Date::from_calendar_date(last, time::Month::December, 20)
            .unwrap()
            .midnight()
            .assume_offset(CHINA);
        let d = deadline(&c, start, 20);
        assert!(d.estimated);
        assert_eq!(c.working_days_between(start.date(), d.due_date), 20);
    }
}
