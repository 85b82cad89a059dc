//! Plain data: every entity of the control plane, serialised with the API's JSON names.

mod agent;
mod audit;
mod certificate;
mod ids;
mod job;
mod misc;
mod notify;
mod page;
mod policy;
mod time;

pub use self::time::Timestamp;
pub use agent::{Agent, AgentGroup, AgentMetadata, AgentStatus, BootstrapToken, GroupCriteria};
pub use audit::{
    AUDIT_KEY_PURPOSE, ActorType, AuditCheckpoint, AuditDraft, AuditEvent, AuditKey, ChainReport,
    ExpectedCheckpoint, GENESIS_HASH, MAC_KEYED, MAC_LEGACY,
};
pub use certificate::{
    Certificate, CertificateStatus, CertificateTarget, CertificateVersion, FleetChild,
    RenewalPolicy, Target, TargetTemplate,
};
pub use ids::*;
pub use job::{Job, JobStatus, JobType};
pub use misc::{ApiKey, Issuer, Notification, NotificationStatus, Owner, Role, Team};
pub use notify::{
    ChannelType, Delivery, DeliveryOutcome, DeliveryStatus, EventKind, NotificationChannel,
    NotifySeverity, SECRET_CONFIG_KEYS, redact_channel_config,
};
pub use page::{
    AgentFilter, AuditFilter, CertificateFilter, CertificateSort, CertificateSortKey,
    DEFAULT_PER_PAGE, JobFilter, MAX_PER_PAGE, NotificationFilter, Page, PageRequest,
    ViolationFilter,
};
pub use policy::{PolicyMode, PolicyRule, PolicyScope, PolicyType, PolicyViolation, Severity};

/// Declares a string-valued enum with `as_str`, `FromStr`, `Display` and serde as those strings.
macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $s:literal),* $(,)? }) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
        #[cfg_attr(feature = "openapi", derive(schemars::JsonSchema))]
        pub enum $name {
            $($(#[$vdoc])* #[serde(rename = $s)] $variant,)*
        }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),*];

            /// The wire / database spelling.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $s,)* }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                match s {
                    $($s => Ok($name::$variant),)*
                    _ => Err(format!(
                        "{s:?} is not one of {}",
                        [$($s),*].join(", ")
                    )),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}
pub(crate) use string_enum;
