//! Settings shared by every binary: duration values such as `500ms`, `30s`, `2m`, `1h`, `30d`.

use std::time::Duration;

/// `500ms`, `30s`, `15m`, `12h`, `30d`, `2w` (a bare number is seconds).
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let split = s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration such as 500ms, 30s, 15m, 1h, 30d"))?;
    let secs = match unit {
        "ms" => return Ok(Duration::from_millis(n)),
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 7 * 86_400,
        _ => return Err(format!("{s:?}: unknown unit {unit:?} (use ms, s, m, h, d or w)")),
    };
    Ok(Duration::from_secs(n.saturating_mul(secs)))
}

/// A [`parse_duration`] that must be longer than zero (loop intervals, timeouts).
pub fn parse_interval(s: &str) -> Result<Duration, String> {
    let d = parse_duration(s)?;
    if d.is_zero() {
        return Err(format!("{s:?} must be longer than zero"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86_400)));
        assert_eq!(parse_duration("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse_duration("0d"), Ok(Duration::ZERO));
        assert!(parse_interval("0s").is_err());
        assert!(
            parse_duration("5 weeks").is_err()
                && parse_duration("").is_err()
                && parse_duration("1y").is_err()
        );
    }
}

/// A secret setting (API key, token, key material): its `Debug` never shows the value, so a
/// settings struct can be logged or printed without leaking it. [`expose`](Secret::expose)
/// reads it where it is used.
#[derive(Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret value.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_owned()))
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Secret(s)
    }
}

#[cfg(test)]
mod secret_tests {
    #[test]
    fn debug_hides_the_value() {
        let s: super::Secret = "certctl_abc".parse().unwrap();
        assert_eq!(format!("{s:?}"), "<redacted>");
        assert_eq!(s.expose(), "certctl_abc");
        assert_eq!(format!("{:?}", Some(s)), "Some(<redacted>)");
    }
}
