//! Typed, prefixed, human-readable TEXT identifiers (`mc-api-prod`, `ag-01jf...`).

use std::fmt;

use rand::Rng;

use crate::error::Error;

/// Longest id accepted, prefix included.
pub const MAX_ID_LEN: usize = 64;

const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// Generates the part after the prefix: 10 chars of millisecond time (so ids sort by creation)
/// followed by 10 random chars, lowercase Crockford base32.
fn generate_suffix() -> String {
    let mut out = String::with_capacity(20);
    let ms = u64::try_from(time::OffsetDateTime::now_utc().unix_timestamp_nanos() / 1_000_000)
        .unwrap_or(0);
    for i in (0..10).rev() {
        out.push(ALPHABET[((ms >> (i * 5)) & 31) as usize] as char);
    }
    let mut rng = rand::rng();
    for _ in 0..10 {
        out.push(ALPHABET[rng.random_range(0..32)] as char);
    }
    out
}

/// Checks a user-chosen id: the resource's prefix, then `[a-z0-9-]`, at most [`MAX_ID_LEN`].
pub fn validate_id(prefix: &str, id: &str) -> Result<(), String> {
    if !id.starts_with(prefix) || id.len() == prefix.len() {
        return Err(format!(
            "id {id:?} must start with {prefix:?} followed by at least one character"
        ));
    }
    if id.len() > MAX_ID_LEN {
        return Err(format!("id {id:?} is longer than {MAX_ID_LEN} characters"));
    }
    if let Some(c) =
        id.chars().find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!("id {id:?} contains {c:?}; only a-z, 0-9 and '-' are allowed"));
    }
    Ok(())
}

macro_rules! define_ids {
    ($($(#[$doc:meta])* $name:ident => $prefix:literal, $resource:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        #[serde(transparent)]
        pub struct $name(pub(crate) String);

        impl $name {
            /// The id prefix of this resource.
            pub const PREFIX: &'static str = $prefix;
            /// Resource name used in messages (`certificate`, `agent`, ...).
            pub const RESOURCE: &'static str = $resource;

            /// A new random id, time-ordered.
            pub fn generate() -> Self {
                Self(format!("{}{}", $prefix, generate_suffix()))
            }

            /// Validates a user-supplied id (prefix, charset, length).
            pub fn parse(s: &str) -> Result<Self, Error> {
                validate_id($prefix, s).map_err(|m| Error::invalid("id", m))?;
                Ok(Self(s.to_owned()))
            }

            /// Wraps a string without validation (ids read back from storage or references
            /// that are checked for existence elsewhere).
            pub fn from_trusted(s: impl Into<String>) -> Self {
                Self(s.into())
            }

            /// The id as text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> Self {
                Self(s.to_owned())
            }
        }
    )*
    };
}

define_ids! {
    /// Managed certificate id (`mc-`).
    CertificateId => "mc-", "certificate";
    /// Certificate version id (`cv-`).
    VersionId => "cv-", "certificate version";
    /// Agent id (`ag-`).
    AgentId => "ag-", "agent";
    /// Agent group id (`grp-`).
    GroupId => "grp-", "agent group";
    /// Deployment target id (`t-`).
    TargetId => "t-", "target";
    /// Issuer id (`iss-`).
    IssuerId => "iss-", "issuer";
    /// Job id (`job-`).
    JobId => "job-", "job";
    /// Policy rule id (`pol-`).
    PolicyId => "pol-", "policy";
    /// Team id (`team-`).
    TeamId => "team-", "team";
    /// Owner id (`o-`).
    OwnerId => "o-", "owner";
    /// Audit event id (`ev-`).
    EventId => "ev-", "audit event";
    /// Notification id (`n-`).
    NotificationId => "n-", "notification";
    /// Renewal policy id (`rp-`).
    RenewalPolicyId => "rp-", "renewal policy";
    /// Notification channel id (`nc-`).
    ChannelId => "nc-", "notification channel";
    /// API key id (`key-`).
    ApiKeyId => "key-", "api key";
    /// Policy violation id (`viol-`).
    ViolationId => "viol-", "policy violation";
    /// Agent bootstrap token id (`bt-`).
    BootstrapTokenId => "bt-", "bootstrap token";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_ids_are_valid_and_ordered() {
        let a = CertificateId::generate();
        std::thread::sleep(std::time::Duration::from_millis(2));
        let b = CertificateId::generate();
        assert!(CertificateId::parse(a.as_str()).is_ok(), "{a}");
        assert_eq!(a.as_str().len(), 23);
        assert!(a < b, "{a} < {b}");
    }

    #[test]
    fn user_ids_are_checked() {
        assert!(CertificateId::parse("mc-api-prod").is_ok());
        for bad in
            ["api-prod", "mc-", "mc-API", "mc-a_b", "mc-é", &format!("mc-{}", "a".repeat(62))]
        {
            let err = CertificateId::parse(bad).unwrap_err();
            assert!(
                matches!(err, Error::Invalid { ref field, .. } if field == "id"),
                "{bad}: {err}"
            );
        }
        assert!(TeamId::parse("mc-x").is_err());
    }
}
