//! The small time helpers that the screens share (days left, ages, clock). Certificates are
//! sorted by the server (`sort=`), not here.

use certctl::model::Timestamp;

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
