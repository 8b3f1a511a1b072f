//! Products and service numbers (备案服务号), SPEC §3: an eligible instance (mainland,
//! subscription, public bandwidth, at least three months left) carries at most `quota` website
//! filings; each approval consumes one and nothing restores it.

use serde::{Deserialize, Serialize};
use time::Date;

/// The default number of service numbers per eligible instance.
pub const DEFAULT_QUOTA: u32 = 5;

/// A product instance as far as filing is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductInstance {
    pub kind: String,
    pub mainland: bool,
    pub subscription: bool,
    pub public_bandwidth: bool,
    pub expires: Date,
    pub quota: u32,
    /// Service numbers consumed by approved websites (never decreases).
    pub consumed: u32,
}

/// Why an instance cannot carry a filing: each reason the console shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Ineligible {
    NotAServer,
    Expired,
    OutsideMainland,
    PayAsYouGo,
    NoPublicBandwidth,
    LessThanThreeMonthsLeft,
    QuotaExhausted,
}

impl ProductInstance {
    /// Every reason the instance cannot take another filing on `today` (empty: eligible).
    /// An expired instance reports `Expired` only: its service numbers are invalid.
    pub fn ineligibility(&self, today: Date) -> Vec<Ineligible> {
        if self.kind != "ecs" {
            return vec![Ineligible::NotAServer];
        }
        if self.expires < today {
            return vec![Ineligible::Expired];
        }
        let mut out = Vec::new();
        if !self.mainland {
            out.push(Ineligible::OutsideMainland);
        }
        if !self.subscription {
            out.push(Ineligible::PayAsYouGo);
        }
        if !self.public_bandwidth {
            out.push(Ineligible::NoPublicBandwidth);
        }
        if self.expires < beian_rules::engine::add_months(today, 3) {
            out.push(Ineligible::LessThanThreeMonthsLeft);
        }
        if self.consumed >= self.quota {
            out.push(Ineligible::QuotaExhausted);
        }
        out
    }

    /// Service numbers left.
    pub fn remaining(&self) -> u32 {
        self.quota.saturating_sub(self.consumed)
    }

    /// Consume `n` service numbers on approval; refused (nothing changes) when fewer are left.
    pub fn consume(&self, n: u32) -> Result<ProductInstance, Ineligible> {
        let consumed = self
            .consumed
            .checked_add(n)
            .filter(|c| *c <= self.quota)
            .ok_or(Ineligible::QuotaExhausted)?;
        Ok(ProductInstance {
            consumed,
            ..self.clone()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    fn ecs() -> ProductInstance {
        ProductInstance {
            kind: "ecs".into(),
            mainland: true,
            subscription: true,
            public_bandwidth: true,
            expires: date!(2027 - 06 - 01),
            quota: DEFAULT_QUOTA,
            consumed: 0,
        }
    }

    #[test]
    fn eligibility() {
        let today = date!(2026 - 11 - 22);
        assert!(ecs().ineligibility(today).is_empty());
        let p = ProductInstance {
            mainland: false,
            subscription: false,
            public_bandwidth: false,
            expires: date!(2027 - 01 - 01),
            ..ecs()
        };
        assert_eq!(
            p.ineligibility(today),
            vec![
                Ineligible::OutsideMainland,
                Ineligible::PayAsYouGo,
                Ineligible::NoPublicBandwidth,
                Ineligible::LessThanThreeMonthsLeft
            ]
        );
        let p = ProductInstance {
            expires: date!(2026 - 11 - 21),
            mainland: false,
            ..ecs()
        };
        assert_eq!(p.ineligibility(today), vec![Ineligible::Expired]);
        let p = ProductInstance {
            kind: "oss".into(),
            ..ecs()
        };
        assert_eq!(p.ineligibility(today), vec![Ineligible::NotAServer]);
    }

    #[test]
    fn consumption_never_exceeds_quota_and_is_never_restored() {
        let mut p = ecs();
        for _ in 0..5 {
            p = p.consume(1).unwrap();
        }
        assert_eq!(p.remaining(), 0);
        assert_eq!(p.consume(1), Err(Ineligible::QuotaExhausted));
        assert!(
            p.ineligibility(date!(2026 - 11 - 22))
                .contains(&Ineligible::QuotaExhausted)
        );
        assert_eq!(ecs().consume(6), Err(Ineligible::QuotaExhausted));
    }
}
