//! Request bodies from flags and `--from-file`, and the check of enumerated values.
//!
//! A body is built as a JSON object (the file's, if any, then every flag given on top) and only
//! then read as the client's typed input, so a value the server would refuse is reported like
//! the server's own rejections (exit 5), not as a usage error.

use std::io::Read;
use std::str::FromStr;

use anyhow::Context;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::args::FromFile;
use crate::error::Failure;

/// A JSON object under construction.
#[derive(Debug, Default)]
pub struct Body(Map<String, Value>);

impl Body {
    /// The object of `--from-file` (a file or `-` for stdin), or an empty one.
    pub fn new(from: &FromFile) -> anyhow::Result<Self> {
        let Some(path) = &from.from_file else { return Ok(Self::default()) };
        let text = if path.as_os_str() == "-" {
            let mut s = String::new();
            std::io::stdin().read_to_string(&mut s).context("reading the body from stdin")?;
            s
        } else {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        };
        match serde_json::from_str(&text) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(Failure::rejected(format!(
                "{}: the body must be a JSON object",
                path.display()
            ))),
            Err(e) => Err(Failure::rejected(format!("{}: not JSON: {e}", path.display()))),
        }
    }

    /// Sets `key` when `value` is given.
    pub fn set<T: Serialize>(&mut self, key: &str, value: Option<T>) -> &mut Self {
        if let Some(v) = value.and_then(|v| serde_json::to_value(v).ok()) {
            self.0.insert(key.to_owned(), v);
        }
        self
    }

    /// Sets `key` to the list when at least one value is given.
    pub fn list(&mut self, key: &str, values: &[String]) -> &mut Self {
        if !values.is_empty() {
            self.0.insert(key.to_owned(), Value::from(values.to_vec()));
        }
        self
    }

    /// Sets `key` to the `k=v` pairs as an object when at least one is given.
    pub fn pairs(&mut self, key: &str, pairs: &[(String, String)]) -> &mut Self {
        if !pairs.is_empty() {
            let map = pairs.iter().map(|(k, v)| (k.clone(), Value::from(v.as_str()))).collect();
            self.0.insert(key.to_owned(), Value::Object(map));
        }
        self
    }

    /// Sets `key` to a JSON value given as text (`--config '{"a":1}'`).
    pub fn json(&mut self, key: &str, text: Option<&str>) -> anyhow::Result<&mut Self> {
        if let Some(t) = text {
            let v = serde_json::from_str(t)
                .map_err(|e| Failure::rejected(format!("{key}: not JSON: {e}")))?;
            self.0.insert(key.to_owned(), v);
        }
        Ok(self)
    }

    /// Reads the object as the typed input `T` (exit 5 when a field has the wrong type).
    pub fn typed<T: DeserializeOwned>(&mut self) -> anyhow::Result<T> {
        serde_json::from_value(Value::Object(std::mem::take(&mut self.0)))
            .map_err(|e| Failure::rejected(format!("request body: {e}")))
    }
}

/// A filter or field value of an enumerated type; an unknown one exits 5 like the server's 400.
pub fn parse_enum<T: FromStr<Err = String>>(
    field: &str,
    value: Option<&str>,
) -> anyhow::Result<Option<T>> {
    value
        .map(|v| v.parse::<T>().map_err(|e| Failure::rejected(format!("{field}: {e}"))))
        .transpose()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn flags_override_the_file() {
        let mut b = Body(serde_json::from_str(r#"{"name":"a","sans":["x"]}"#).unwrap());
        b.set("name", Some("b"))
            .set::<String>("id", None)
            .list("sans", &[])
            .pairs("tags", &[("k".into(), "v".into())]);
        let v = Value::Object(b.0);
        assert_eq!(v, serde_json::json!({"name":"b","sans":["x"],"tags":{"k":"v"}}));
    }
}
