//! The wire format of one query parameter: how a value is written (`status=Active`,
//! `tag=key:value`, `include_archived=true`), read back (last non-empty value wins), and the error
//! naming the parameter when it cannot be.

use serde::de::{DeserializeOwned, Error as _};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::api::PolicyInput;
use crate::model::*;

/// The query string of `q` (without `?`; empty when nothing is set).
pub fn encode<T: Serialize>(q: &T) -> Result<String, String> {
    serde_html_form::to_string(q).map_err(|e| e.to_string())
}

/// `q` from a query string (without `?`); a bad value is `query parameter <name>: <why>`.
pub fn decode<T: DeserializeOwned>(q: &str) -> Result<T, String> {
    let de = serde_html_form::Deserializer::from_bytes(q.as_bytes());
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        if path.is_empty() || path == "." {
            format!("query string: {}", e.inner())
        } else {
            format!("query parameter {path}: {}", e.inner())
        }
    })
}

pub(super) fn is_false(b: &bool) -> bool {
    !*b
}

/// The last non-empty value of a parameter (all its values read as a sequence).
fn last<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let all = Vec::<String>::deserialize(d)?;
    Ok(all.into_iter().rev().find(|v| !v.is_empty()))
}

/// A value written as one query parameter.
pub(super) trait Param: Sized {
    fn to_param(&self) -> String;
    fn from_param(s: &str) -> Result<Self, String>;
}

macro_rules! param_from_str {
    ($($t:ty),*) => {$(
        impl Param for $t {
            fn to_param(&self) -> String {
                self.to_string()
            }
            fn from_param(s: &str) -> Result<Self, String> {
                s.parse::<$t>().map_err(|e| e.to_string())
            }
        }
    )*};
}
param_from_str!(String, u32, CertificateStatus, AgentStatus, JobStatus, JobType);

impl Param for Timestamp {
    fn to_param(&self) -> String {
        self.to_rfc3339()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        Timestamp::parse(s)
    }
}

impl Param for CertificateSort {
    fn to_param(&self) -> String {
        self.as_param()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        s.parse()
    }
}

impl Param for NotificationStatus {
    fn to_param(&self) -> String {
        self.as_str().to_owned()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        NotificationStatus::ALL
            .iter()
            .copied()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("{s:?} is not one of Pending, Sent, Failed, Dead"))
    }
}

impl Param for PolicyInput {
    fn to_param(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
    fn from_param(s: &str) -> Result<Self, String> {
        serde_json::from_str(s).map_err(|e| format!("not a policy rule: {e}"))
    }
}

/// An optional single-valued parameter.
pub(super) mod param {
    use super::*;

    pub(in crate::api::query) fn serialize<T: Param, S: Serializer>(
        v: &Option<T>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.serialize_str(&v.to_param()),
            None => s.serialize_none(),
        }
    }

    pub(in crate::api::query) fn deserialize<'de, T: Param, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Option<T>, D::Error> {
        last(d)?.map(|v| T::from_param(&v).map_err(D::Error::custom)).transpose()
    }
}

/// A boolean flag: `true`/`1` set, `false`/`0`/absent unset; sent only when set.
pub(super) mod flag {
    use super::*;

    pub(in crate::api::query) fn serialize<S: Serializer>(
        v: &bool,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.serialize_str(if *v { "true" } else { "false" })
    }

    pub(in crate::api::query) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<bool, D::Error> {
        match last(d)?.as_deref() {
            None | Some("false") | Some("0") => Ok(false),
            Some("true") | Some("1") => Ok(true),
            Some(v) => Err(D::Error::custom(format!("{v:?} is not true or false"))),
        }
    }
}

/// `tag=key:value`, repeated (the value may contain `:`).
pub(super) mod tags {
    use super::*;

    pub(in crate::api::query) fn serialize<S: Serializer>(
        v: &[(String, String)],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        s.collect_seq(v.iter().map(|(k, v)| format!("{k}:{v}")))
    }

    pub(in crate::api::query) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<Vec<(String, String)>, D::Error> {
        Vec::<String>::deserialize(d)?
            .into_iter()
            .filter(|t| !t.is_empty())
            .map(|t| match t.split_once(':') {
                Some((k, v)) => Ok((k.to_owned(), v.to_owned())),
                None => Err(D::Error::custom(format!("{t:?} is not key:value"))),
            })
            .collect()
    }
}
