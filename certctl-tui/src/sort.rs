//! Ordering of certificate rows by a column, and the small formatting helpers that the
//! screens share (days left, ages).

use std::cmp::Ordering;

use certctl::model::{Certificate, Timestamp};

use crate::app::CertCol;

/// Whole days from `now` until `expires_at` (negative once expired), rounded down.
pub fn days_left(expires_at: Option<Timestamp>, now: Timestamp) -> Option<i64> {
    Some(expires_at?.days_from(now))
}

/// "5s", "3m", "2h", "4d" ago; "never" without a time.
pub fn age(at: Option<Timestamp>, now: Timestamp) -> String {
    let Some(at) = at else { return "never".into() };
    let s = ((now.unix_millis() - at.unix_millis()) / 1000).max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..86_400 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

/// `HH:MM:SS` (UTC) of a refresh.
pub fn clock(at: Timestamp) -> String {
    let t = at.to_rfc3339();
    t.get(11..19).unwrap_or(&t).to_owned()
}

/// Compares two certificates by `col` (ties broken by id, so the order is stable).
pub fn compare_certs(a: &Certificate, b: &Certificate, col: CertCol) -> Ordering {
    let o = match col {
        CertCol::Id => Ordering::Equal,
        CertCol::Name => a.common_name.cmp(&b.common_name),
        CertCol::Env => a.environment.cmp(&b.environment),
        CertCol::Status => a.status.as_str().cmp(b.status.as_str()),
        CertCol::DaysLeft => a.expires_at.map(|t| t.unix_millis()).unwrap_or(i64::MAX).cmp(&b.expires_at.map(|t| t.unix_millis()).unwrap_or(i64::MAX)),
        CertCol::Issuer => a.issuer_id.as_str().cmp(b.issuer_id.as_str()),
        CertCol::Owner => a.owner_id.as_ref().map(|o| o.as_str()).cmp(&b.owner_id.as_ref().map(|o| o.as_str())),
        CertCol::Targets => a.target_ids.len().cmp(&b.target_ids.len()),
    };
    o.then_with(|| a.id.as_str().cmp(b.id.as_str()))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn days_and_ages() {
        let now = Timestamp::parse("2030-01-10T12:00:00Z").unwrap();
        let at = |s: &str| Some(Timestamp::parse(s).unwrap());
        assert_eq!(days_left(at("2030-01-17T12:00:00Z"), now), Some(7));
        assert_eq!(days_left(at("2030-01-10T11:00:00Z"), now), Some(-1));
        assert_eq!(days_left(None, now), None);
        assert_eq!(age(at("2030-01-10T11:59:30Z"), now), "30s");
        assert_eq!(age(at("2030-01-10T10:00:00Z"), now), "2h");
        assert_eq!(age(at("2030-01-07T12:00:00Z"), now), "3d");
        assert_eq!(age(None, now), "never");
        assert_eq!(clock(now), "12:00:00");
    }
}
