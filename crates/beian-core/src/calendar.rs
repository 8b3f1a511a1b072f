//! The official PRC working-day calendar (工作日历): public holidays and make-up working days
//! (调休上班) as published by the State Council, from `data/workdays.tsv`. Years not yet published
//! count Monday–Friday and every answer that relied on one says so (`estimated`).

use std::collections::HashMap;

use time::{Date, Duration, Weekday};

/// The calendar file embedded at build time (source noted in its header).
pub const WORKDAYS_TSV: &str = include_str!("../../../data/workdays.tsv");

/// What a calendar day is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DayKind {
    /// A day off of an official holiday period.
    Holiday,
    /// A weekend day that is a working day (调休上班).
    MakeUpWorkday,
}

/// A problem in the calendar file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("workdays.tsv{}: {message}", line.map(|l| format!(" line {l}")).unwrap_or_default())]
pub struct CalendarError {
    pub line: Option<usize>,
    pub message: String,
}

/// A date reached by counting working days, and whether an unpublished year was involved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkingDate {
    pub date: Date,
    /// True when any day counted lies in a year whose arrangement is not published yet
    /// (counted Monday–Friday).
    pub estimated: bool,
}

/// The working-day calendar.
#[derive(Debug, Clone)]
pub struct WorkCalendar {
    days: HashMap<Date, (DayKind, String)>,
    first_year: i32,
    last_year: i32,
}

impl WorkCalendar {
    /// Parse `date<TAB>holiday|workday<TAB>name` lines; a `# published-years: A-B` comment names
    /// the years whose arrangements are official.
    pub fn parse(text: &str) -> Result<WorkCalendar, CalendarError> {
        let mut days = HashMap::new();
        let mut years = None;
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        for (i, line) in text.lines().enumerate() {
            let line_no = Some(i + 1);
            if let Some(rest) = line.strip_prefix("# published-years:") {
                let (a, b) = rest.trim().split_once('-').ok_or_else(|| CalendarError {
                    line: line_no,
                    message: "published-years must be A-B".into(),
                })?;
                let parse = |s: &str| {
                    s.trim().parse::<i32>().map_err(|_| CalendarError {
                        line: line_no,
                        message: format!("bad year {s:?}"),
                    })
                };
                years = Some((parse(a)?, parse(b)?));
                continue;
            }
            if line.starts_with('#') || line.trim().is_empty() {
                continue;
            }
            let f: Vec<&str> = line.split('\t').collect();
            let [date, kind, name] = f.as_slice() else {
                return Err(CalendarError {
                    line: line_no,
                    message: "expected date, kind, name".into(),
                });
            };
            let date = Date::parse(date.trim(), &fmt).map_err(|_| CalendarError {
                line: line_no,
                message: format!("bad date {date:?}"),
            })?;
            let kind = match kind.trim() {
                "holiday" => DayKind::Holiday,
                "workday" => DayKind::MakeUpWorkday,
                other => {
                    return Err(CalendarError {
                        line: line_no,
                        message: format!("kind must be holiday or workday, not {other:?}"),
                    });
                }
            };
            if kind == DayKind::MakeUpWorkday && !is_weekend(date) {
                return Err(CalendarError {
                    line: line_no,
                    message: format!("{date} is a make-up working day but not a weekend day"),
                });
            }
            if days.insert(date, (kind, name.trim().to_owned())).is_some() {
                return Err(CalendarError {
                    line: line_no,
                    message: format!("{date} is listed twice"),
                });
            }
        }
        let (first_year, last_year) = years.ok_or_else(|| CalendarError {
            line: None,
            message: "missing `# published-years: A-B`".into(),
        })?;
        if first_year > last_year {
            return Err(CalendarError {
                line: None,
                message: "published-years: first after last".into(),
            });
        }
        if let Some(d) = days
            .keys()
            .find(|d| d.year() < first_year || d.year() > last_year)
        {
            return Err(CalendarError {
                line: None,
                message: format!("{d} lies outside the published years"),
            });
        }
        Ok(WorkCalendar {
            days,
            first_year,
            last_year,
        })
    }

    /// The calendar shipped with beian.
    pub fn embedded() -> Result<WorkCalendar, CalendarError> {
        WorkCalendar::parse(WORKDAYS_TSV)
    }

    /// The years whose arrangements are official.
    pub fn published_years(&self) -> (i32, i32) {
        (self.first_year, self.last_year)
    }

    /// Is the year's arrangement published?
    pub fn is_published(&self, year: i32) -> bool {
        (self.first_year..=self.last_year).contains(&year)
    }

    /// Is `date` a working day?
    pub fn is_working_day(&self, date: Date) -> bool {
        match self.days.get(&date) {
            Some((DayKind::Holiday, _)) => false,
            Some((DayKind::MakeUpWorkday, _)) => true,
            None => !is_weekend(date),
        }
    }

    /// The holiday name of `date`, if it is a listed day.
    pub fn day_name(&self, date: Date) -> Option<&str> {
        self.days.get(&date).map(|(_, n)| n.as_str())
    }

    /// The date `n` working days after `start` (not counting `start` itself): a step started on
    /// `start` with an SLA of `n` working days is due by the end of that date.
    pub fn add_working_days(&self, start: Date, n: u32) -> WorkingDate {
        let mut date = start;
        let mut left = n;
        let mut estimated = !self.is_published(start.year());
        while left > 0 {
            let Some(next) = date.checked_add(Duration::days(1)) else {
                break;
            };
            date = next;
            estimated |= !self.is_published(date.year());
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        WorkingDate { date, estimated }
    }

    /// Working days after `from` up to and including `to` (0 when `to` ≤ `from`).
    pub fn working_days_between(&self, from: Date, to: Date) -> u32 {
        let mut n = 0;
        let mut d = from;
        while d < to {
            let Some(next) = d.checked_add(Duration::days(1)) else {
                break;
            };
            d = next;
            if self.is_working_day(d) {
                n += 1;
            }
        }
        n
    }
}

fn is_weekend(d: Date) -> bool {
    matches!(d.weekday(), Weekday::Saturday | Weekday::Sunday)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn cal() -> WorkCalendar {
        WorkCalendar::embedded().unwrap()
    }

    #[test]
    fn embedded_calendar_loads() {
        let c = cal();
        let (first, last) = c.published_years();
        assert!(first <= 2010 && last >= 2025, "{first}-{last}");
    }

    #[test]
    fn spring_festival_2024() {
        let c = cal();
        // 2024-02-10..17 off; Sunday 2024-02-04 and Sunday 2024-02-18 worked.
        assert!(!c.is_working_day(date!(2024 - 02 - 12)));
        assert!(c.is_working_day(date!(2024 - 02 - 04)));
        assert!(c.is_working_day(date!(2024 - 02 - 18)));
        assert_eq!(c.day_name(date!(2024 - 02 - 12)), Some("春节"));
        // Friday 2024-02-09 + 1 working day = Sunday 2024-02-18 (make-up day).
        assert_eq!(
            c.add_working_days(date!(2024 - 02 - 09), 1),
            WorkingDate {
                date: date!(2024 - 02 - 18),
                estimated: false
            }
        );
    }

    #[test]
    fn national_day_2025() {
        let c = cal();
        // 2025-10-01..08 off; Sunday 09-28 and Saturday 10-11 worked.
        assert!(!c.is_working_day(date!(2025 - 10 - 08)));
        assert!(c.is_working_day(date!(2025 - 09 - 28)));
        assert!(c.is_working_day(date!(2025 - 10 - 11)));
        assert_eq!(
            c.add_working_days(date!(2025 - 09 - 30), 1).date,
            date!(2025 - 10 - 09)
        );
    }

    #[test]
    fn unpublished_years_count_monday_to_friday_and_say_so() {
        let c = cal();
        let (_, last) = c.published_years();
        let start = Date::from_calendar_date(last + 1, time::Month::March, 6).unwrap();
        let due = c.add_working_days(start, 5);
        assert!(due.estimated);
        assert_eq!(c.working_days_between(start, due.date), 5);
        assert!(!matches!(
            due.date.weekday(),
            Weekday::Saturday | Weekday::Sunday
        ));
    }

    #[test]
    fn bad_files_are_refused() {
        assert!(WorkCalendar::parse("2024-01-01\tholiday\t元旦\n").is_err());
        let e = WorkCalendar::parse("# published-years: 2024-2024\n2024-02-05\tworkday\tx\n")
            .unwrap_err();
        assert_eq!(e.line, Some(2));
        assert!(
            WorkCalendar::parse("# published-years: 2024-2024\n2023-01-01\tholiday\t元旦\n")
                .is_err()
        );
    }

    proptest::proptest! {
        #[test]
        fn adding_working_days_lands_on_a_working_day_after_exactly_n(offset in 0i64..8000, n in 1u32..40) {
            let c = cal();
            let start = date!(2004 - 01 - 01) + Duration::days(offset);
            let due = c.add_working_days(start, n);
            proptest::prop_assert!(c.is_working_day(due.date));
            proptest::prop_assert_eq!(c.working_days_between(start, due.date), n);
        }
    }
}
