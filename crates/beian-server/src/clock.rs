//! The clock, read only here in the shell: `beian-rules` and `beian-core` take the time as a
//! parameter (their clippy configuration forbids reading it).

use time::{Date, OffsetDateTime};

/// Now, in UTC.
pub fn now() -> OffsetDateTime {
    OffsetDateTime::now_utc()
}

/// Today's date in China (UTC+8): the rules' check date.
pub fn today_in_china() -> Date {
    beian_rules::date_in_china(now())
}
