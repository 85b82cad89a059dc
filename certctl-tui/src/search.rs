//! The `/` filter of every screen: which rows match the words typed, and ids shortened only as
//! far as they stay unique. Certificates are searched by the server (`q=`); the Audit screen
//! sends `actor:` `action:` `type:` `id:` words to the server and matches the rest here; the
//! other screens match the rows they loaded.

use certctl::model::{Agent, AgentGroup, AuditEvent, AuditFilter, Certificate, Job, PolicyRule};

/// A row the `/` filter can match: every word (case-insensitive) must occur in one of its fields.
pub trait Search {
    /// The fields a word is looked for in (ids and names first).
    fn fields(&self) -> Vec<String>;

    /// Whether every word of `filter` occurs in one of the fields.
    fn matches(&self, filter: &str) -> bool {
        let words: Vec<String> = local_words(filter).map(str::to_lowercase).collect();
        if words.is_empty() {
            return true;
        }
        let fields: Vec<String> = self.fields().iter().map(|f| f.to_lowercase()).collect();
        words.iter().all(|w| fields.iter().any(|f| f.contains(w.as_str())))
    }
}

/// The `key:value` words the Audit screen sends to the server.
const SERVER_KEYS: [&str; 4] = ["actor:", "action:", "type:", "id:"];

fn is_server_word(w: &str) -> bool {
    SERVER_KEYS.iter().any(|k| w.strip_prefix(k).is_some_and(|v| !v.is_empty()))
}

/// The words matched against loaded rows (the Audit screen's server words left out).
fn local_words(filter: &str) -> impl Iterator<Item = &str> {
    filter.split_whitespace().filter(|w| !is_server_word(w))
}

/// The server side of the Audit screen's filter: `actor:NAME action:NAME type:RESOURCE_TYPE
/// id:RESOURCE_ID` (exact values, as the API filters them).
pub fn audit_filter(filter: &str) -> AuditFilter {
    let mut f = AuditFilter::default();
    for w in filter.split_whitespace().filter(|w| is_server_word(w)) {
        let (k, v) = w.split_once(':').unwrap_or((w, ""));
        let v = Some(v.to_owned());
        match k {
            "actor" => f.actor = v,
            "action" => f.action = v,
            "type" => f.resource_type = v,
            _ => f.resource_id = v,
        }
    }
    f
}

impl Search for Certificate {
    fn fields(&self) -> Vec<String> {
        let mut v = vec![self.id.to_string(), self.name.clone(), self.common_name.clone()];
        v.extend(self.sans.iter().cloned());
        v
    }
}

impl Search for Agent {
    fn fields(&self) -> Vec<String> {
        let mut v = vec![
            self.id.to_string(),
            self.name.clone(),
            self.hostname.clone(),
            self.status.to_string(),
            self.os.clone(),
            self.arch.clone(),
        ];
        v.extend(self.ip_addresses.iter().cloned());
        v.extend(self.labels.iter().map(|(k, val)| format!("{k}={val}")));
        v
    }
}

impl Search for AgentGroup {
    fn fields(&self) -> Vec<String> {
        vec![self.id.to_string(), self.name.clone()]
    }
}

impl Search for Job {
    fn fields(&self) -> Vec<String> {
        let mut v = vec![
            self.id.to_string(),
            self.certificate_id.to_string(),
            self.job_type.to_string(),
            self.status.to_string(),
        ];
        v.extend(self.agent_id.as_ref().map(|a| a.to_string()));
        v.extend(self.target_id.as_ref().map(|t| t.to_string()));
        v.extend(self.last_error.clone());
        v
    }
}

impl Search for PolicyRule {
    fn fields(&self) -> Vec<String> {
        vec![self.id.to_string(), self.name.clone(), self.rule_type.to_string()]
    }
}

impl Search for AuditEvent {
    fn fields(&self) -> Vec<String> {
        vec![
            self.seq.to_string(),
            self.actor.clone(),
            self.action.clone(),
            self.resource_type.clone(),
            self.resource_id.clone(),
        ]
    }
}

/// How many characters of each id keep every id of `ids` apart from the others (git's short
/// hashes): at least `min`, at most the longest id. Equal ids need no more than themselves.
pub fn unique_len<'a>(ids: impl IntoIterator<Item = &'a str>, min: usize) -> usize {
    let mut ids: Vec<&str> = ids.into_iter().collect();
    ids.sort_unstable();
    ids.dedup();
    let longest = ids.iter().map(|s| s.chars().count()).max().unwrap_or(0);
    let mut need = min.min(longest);
    for pair in ids.windows(2) {
        let common = pair[0].chars().zip(pair[1].chars()).take_while(|(a, b)| a == b).count();
        need = need.max(common + 1);
    }
    need.min(longest)
}

/// How many characters of each id a column of about `width` shows: all of them when every id
/// fits, else as many as keep them apart ([`unique_len`]), at least `width - 1` (with `…`).
pub fn fit_len<'a>(ids: impl IntoIterator<Item = &'a str> + Clone, width: usize) -> usize {
    let longest = ids.clone().into_iter().map(|s| s.chars().count()).max().unwrap_or(0);
    if longest <= width { longest.max(1) } else { unique_len(ids, width.saturating_sub(1).max(1)) }
}

/// `id` cut to `n` characters with `…` when it is longer (then unique by [`unique_len`]).
pub fn short_id(id: &str, n: usize) -> String {
    if id.chars().count() <= n {
        id.to_owned()
    } else {
        format!("{}…", id.chars().take(n).collect::<String>())
    }
}

/// The width a column of ids shortened to `n` characters needs.
pub fn id_width<'a>(ids: impl IntoIterator<Item = &'a str>, n: usize) -> u16 {
    ids.into_iter().map(|id| short_id(id, n).chars().count()).max().unwrap_or(2).max(2) as u16
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_cut_only_where_they_stay_apart() {
        let ids = ["job-01m90k2e3xaaaa", "job-01m90k2e3xbbbb", "job-01m90k2f00cccc"];
        let n = unique_len(ids, 8);
        assert_eq!(n, 15, "one past the 14 shared characters of the first two");
        let shown: Vec<String> = ids.iter().map(|i| short_id(i, n)).collect();
        assert_eq!(shown, ["job-01m90k2e3xa…", "job-01m90k2e3xb…", "job-01m90k2f00c…"]);
        let mut distinct = shown.clone();
        distinct.dedup();
        assert_eq!(distinct.len(), 3);
        // short ids are whole; one id alone keeps the minimum
        assert_eq!(unique_len(["mc-a", "mc-b"], 8), 4);
        assert_eq!(short_id("mc-a", 4), "mc-a");
        assert_eq!(unique_len(["job-0123456789"], 8), 8);
        // an id that is a prefix of another is shown whole
        assert_eq!(unique_len(["mc-web", "mc-web-2"], 3), 7);
        assert_eq!(short_id("mc-web", 7), "mc-web");
    }

    #[test]
    fn ids_that_fit_their_column_are_whole() {
        assert_eq!(fit_len(["iss-local"], 9), 9);
        assert_eq!(fit_len(["iss-local", "iss-acme-staging"], 9), 8);
        assert_eq!(short_id("iss-acme-staging", 8), "iss-acme…");
        let ids = ["job-01m90k2e3xaaaa", "job-01m90k2e3xbbbb"];
        assert_eq!(fit_len(ids, 12), 15);
    }

    #[test]
    fn audit_words_split_between_server_and_screen() {
        let f = audit_filter("actor:admin id:mc-x renewal type:certificate");
        assert_eq!(f.actor.as_deref(), Some("admin"));
        assert_eq!(f.resource_id.as_deref(), Some("mc-x"));
        assert_eq!(f.resource_type.as_deref(), Some("certificate"));
        assert_eq!(f.action, None);
        assert_eq!(local_words("actor:admin renewal id:").collect::<Vec<_>>(), ["renewal", "id:"]);
    }
}
