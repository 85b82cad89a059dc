//! Table columns of each resource ([`Row`]): which hold free text that may be cut (ids never
//! are), which show only with `--wide`, and days-to-expiry coloured red under 7 days and yellow under 30. Every cell's text
//! goes through [`certctl::text::visible`]: control characters are shown, never sent.

use certctl::api::AgentRegistered;
use certctl::model::*;
use comfy_table::{Cell, Color};

/// A resource that lists as one table row.
pub trait Row {
    /// Column titles.
    const HEADERS: &'static [&'static str];
    /// Columns of free text (names, messages) that shrink to the terminal's width, cut with
    /// `…`. The others (ids, which cut short could read as another id, statuses, dates,
    /// numbers) are always as wide as their content.
    const FLEX: &'static [&'static str] = &["NAME"];
    /// Columns shown only with `--wide` (the others fit 80 columns for typical content).
    const WIDE: &'static [&'static str] = &[];
    /// The row's cells; `now` for relative columns, `color` whether to style them.
    fn cells(&self, now: Timestamp, color: bool) -> Vec<Cell>;
}

/// A cell of text from the server: control characters made visible.
pub fn text(s: impl ToString) -> Cell {
    Cell::new(certctl::text::visible(&s.to_string()))
}

fn opt<T: ToString>(v: &Option<T>) -> String {
    v.as_ref().map_or_else(|| "-".into(), ToString::to_string)
}

fn list<T: ToString>(v: &[T]) -> String {
    if v.is_empty() {
        "-".into()
    } else {
        v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",")
    }
}

fn pairs(m: &std::collections::BTreeMap<String, String>) -> String {
    if m.is_empty() {
        "-".into()
    } else {
        m.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(",")
    }
}

/// `2026-03-01` (the date part of a timestamp).
fn date(t: &Option<Timestamp>) -> String {
    t.map_or_else(|| "-".into(), |t| t.to_rfc3339().chars().take(10).collect())
}

/// `2026-03-01 12:00:00` (to the second).
fn time(t: &Option<Timestamp>) -> String {
    t.map_or_else(
        || "-".into(),
        |t| t.to_rfc3339().chars().take(19).collect::<String>().replace('T', " "),
    )
}

/// Days until `expires_at`, red under 7, yellow under 30.
pub fn days_cell(expires_at: Option<Timestamp>, now: Timestamp, color: bool) -> Cell {
    let Some(at) = expires_at else { return Cell::new("-") };
    let days = at.days_from(now);
    let cell = Cell::new(days);
    match days {
        _ if !color => cell,
        d if d < 7 => cell.fg(Color::Red),
        d if d < 30 => cell.fg(Color::Yellow),
        _ => cell,
    }
}

macro_rules! row {
    ($t:ty, [$($h:literal),*] $(, flex: [$($f:literal),*])? $(, wide: [$($w:literal),*])?,
     |$s:ident, $now:ident, $color:ident| [$($cell:expr),* $(,)?]) => {
        impl Row for $t {
            const HEADERS: &'static [&'static str] = &[$($h),*];
            $(const FLEX: &'static [&'static str] = &[$($f),*];)?
            $(const WIDE: &'static [&'static str] = &[$($w),*];)?
            #[allow(unused_variables)]
            fn cells(&self, $now: Timestamp, $color: bool) -> Vec<Cell> {
                let $s = self;
                vec![$(text($cell)),*]
            }
        }
    };
}

impl Row for Certificate {
    const HEADERS: &'static [&'static str] =
        &["ID", "COMMON NAME", "STATUS", "ENV", "ISSUER", "EXPIRES", "DAYS", "OWNER", "TEAM"];
    const FLEX: &'static [&'static str] = &["COMMON NAME", "ENV"];
    const WIDE: &'static [&'static str] = &["OWNER", "TEAM"];
    fn cells(&self, now: Timestamp, color: bool) -> Vec<Cell> {
        vec![
            text(&self.id),
            text(&self.common_name),
            text(self.status),
            text(opt(&self.environment)),
            text(&self.issuer_id),
            text(date(&self.expires_at)),
            days_cell(self.expires_at, now, color),
            text(opt(&self.owner_id)),
            text(opt(&self.team_id)),
        ]
    }
}

impl Row for CertificateVersion {
    const HEADERS: &'static [&'static str] =
        &["ID", "SERIAL", "NOT BEFORE", "NOT AFTER", "DAYS", "KEY", "REVOKED"];
    const FLEX: &'static [&'static str] = &[];
    const WIDE: &'static [&'static str] = &["NOT BEFORE", "KEY"];
    fn cells(&self, now: Timestamp, color: bool) -> Vec<Cell> {
        vec![
            text(&self.id),
            text(&self.serial_number),
            text(date(&Some(self.not_before))),
            text(date(&Some(self.not_after))),
            days_cell(Some(self.not_after), now, color),
            text(format!("{} {}", self.key_algorithm, self.key_size)),
            text(opt(&self.revocation_reason)),
        ]
    }
}

row!(
    Agent,
    ["ID", "NAME", "STATUS", "HOSTNAME", "OS", "ARCH", "VERSION", "LAST HEARTBEAT"],
    flex: ["NAME", "HOSTNAME"],
    wide: ["OS", "ARCH", "VERSION"],
    |a, now, color| [
        &a.id,
        &a.name,
        a.status,
        &a.hostname,
        &a.os,
        &a.arch,
        &a.agent_version,
        time(&a.last_heartbeat_at),
    ]
);
row!(AgentRegistered, ["ID", "NAME", "STATUS", "API KEY"], |a, now, color| [
    &a.agent.id,
    &a.agent.name,
    a.agent.status,
    &a.api_key,
]);
row!(
    BootstrapToken,
    ["ID", "NAME", "USES", "EXPIRES", "APPROVE", "LABELS", "REVOKED"],
    flex: ["NAME", "LABELS"],
    wide: ["LABELS"],
    |t, now, color| [
        &t.id,
        &t.name,
        format!("{}/{}", t.uses, opt(&t.max_uses)),
        time(&Some(t.expires_at)),
        if t.auto_approve { "auto" } else { "manual" },
        pairs(&t.labels),
        time(&t.revoked_at),
    ]
);
row!(
    AgentGroup,
    ["ID", "NAME", "DESCRIPTION", "OS", "ARCH", "HOSTNAME", "CIDR", "LABELS"],
    flex: ["NAME", "DESCRIPTION", "OS", "ARCH", "HOSTNAME", "CIDR", "LABELS"],
    wide: ["DESCRIPTION"],
    |g, now, color| [
        &g.id,
        &g.name,
        &g.description,
        list(&g.criteria.os),
        list(&g.criteria.arch),
        list(&g.criteria.hostname),
        list(&g.criteria.cidr),
        pairs(&g.criteria.labels),
    ]
);
row!(
    Job,
    ["ID", "TYPE", "STATUS", "CERTIFICATE", "TARGET", "AGENT", "ATTEMPTS", "LAST ERROR"],
    flex: ["LAST ERROR"],
    wide: ["TARGET", "AGENT", "ATTEMPTS"],
    |j, now, color| [
        &j.id,
        j.job_type,
        j.status,
        &j.certificate_id,
        opt(&j.target_id),
        opt(&j.agent_id),
        format!("{}/{}", j.attempts, j.max_attempts),
        opt(&j.last_error),
    ]
);
row!(
    PolicyRule,
    ["ID", "NAME", "TYPE", "MODE", "SEVERITY", "ENABLED", "CONFIG"],
    flex: ["NAME", "CONFIG"],
    wide: ["CONFIG"],
    |p, now, color| [
        &p.id,
        &p.name,
        p.rule_type,
        p.mode,
        p.severity,
        p.enabled,
        p.config.to_string(),
    ]
);
row!(
    PolicyViolation,
    ["ID", "POLICY", "CERTIFICATE", "SEVERITY", "MESSAGE", "RESOLVED"],
    flex: ["MESSAGE"],
    wide: ["POLICY"],
    |v, now, color| [
        &v.id,
        &v.policy_id,
        &v.certificate_id,
        v.severity,
        &v.message,
        time(&v.resolved_at),
    ]
);
row!(Issuer, ["ID", "NAME", "TYPE", "ENABLED"], |i, now, color| [
    &i.id,
    &i.name,
    &i.issuer_type,
    i.enabled
]);
row!(Target, ["ID", "NAME", "TYPE", "AGENT", "ENABLED", "CONFIG"], flex: ["NAME", "CONFIG"], wide: ["CONFIG"], |t, now, color| [
    &t.id,
    &t.name,
    &t.target_type,
    opt(&t.agent_id),
    t.enabled,
    t.config.to_string(),
]);
row!(Team, ["ID", "NAME", "DESCRIPTION"], flex: ["NAME", "DESCRIPTION"], |t, now, color| [&t.id, &t.name, &t.description]);
row!(Owner, ["ID", "NAME", "EMAIL", "TEAM"], flex: ["NAME", "EMAIL"], |o, now, color| [
    &o.id,
    &o.name,
    &o.email,
    opt(&o.team_id)
]);
row!(
    RenewalPolicy,
    ["ID", "NAME", "WINDOW DAYS", "AUTO", "MAX RETRIES", "ALERTS (DAYS)"],
    flex: ["NAME", "ALERTS (DAYS)"],
    |r, now, color| [
        &r.id,
        &r.name,
        r.renewal_window_days,
        r.auto_renew,
        r.max_retries,
        list(&r.alert_thresholds_days),
    ]
);
row!(AuditEvent, ["SEQ", "TIME", "ACTOR", "ACTION", "RESOURCE", "ID"], flex: ["ACTOR", "ACTION"], wide: ["RESOURCE"], |e, now, color| [
    e.seq,
    time(&Some(e.timestamp)),
    &e.actor,
    &e.action,
    &e.resource_type,
    &e.resource_id,
]);
row!(
    Notification,
    ["ID", "TYPE", "STATUS", "CERTIFICATE", "RECIPIENT", "DELIVERIES", "READ", "MESSAGE"],
    flex: ["RECIPIENT", "DELIVERIES", "MESSAGE"],
    wide: ["RECIPIENT", "DELIVERIES", "READ"],
    |n, now, color| [
        &n.id,
        &n.kind,
        n.status,
        opt(&n.certificate_id),
        &n.recipient,
        list(
            &n.deliveries
                .iter()
                .map(|d| format!("{}:{}({})", d.channel_id, d.status, d.attempts))
                .collect::<Vec<_>>()
        ),
        time(&n.read_at),
        &n.message,
    ]
);
row!(
    NotificationChannel,
    ["ID", "NAME", "TYPE", "EVENTS", "MIN SEVERITY", "ENABLED"],
    flex: ["NAME", "EVENTS"],
    |c, now, color| [&c.id, &c.name, c.channel_type, list(&c.events), c.min_severity, c.enabled,]
);
row!(ApiKey, ["ID", "NAME", "ROLE", "AGENT", "LAST USED", "REVOKED"], |k, now, color| [
    &k.id,
    &k.name,
    k.role,
    opt(&k.agent_id),
    time(&k.last_used_at),
    time(&k.revoked_at),
]);

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn days_coloured_by_threshold() {
        let now = Timestamp::now();
        let in_days =
            |d: i64| Some(now.plus(::time::Duration::days(d) + ::time::Duration::hours(1)));
        assert_eq!(days_cell(in_days(3), now, false).content(), "3");
        assert_eq!(days_cell(None, now, true).content(), "-");
        // Styled cells carry the colour only when asked to.
        let plain = format!("{:?}", days_cell(in_days(3), now, false));
        let red = format!("{:?}", days_cell(in_days(3), now, true));
        let yellow = format!("{:?}", days_cell(in_days(20), now, true));
        let none = format!("{:?}", days_cell(in_days(90), now, true));
        assert!(red.contains("Red") && !plain.contains("Red"), "{red}");
        assert!(yellow.contains("Yellow") && !none.contains("Yellow"), "{yellow}");
    }
}
