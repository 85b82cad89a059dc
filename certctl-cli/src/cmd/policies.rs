//! `certctl policies`: list, get, create, update, delete, violations.

use certctl::api::PolicyInput;
use certctl::client::{Client, ClientError};
use certctl::model::{Page, PageRequest, PolicyRule};
use clap::{Args, Subcommand};

use super::crud::{Crud, Help, NoFilter, Resource};
use crate::args::{FromFile, Paging};
use crate::body::Body;
use crate::output::Out;
use crate::table::text;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    #[command(flatten)]
    Crud(Crud<Policies>),
    /// Explain: evaluate an existing certificate (`--certificate`) or a draft (`--cn` ... or
    /// `--from-file`) against the rules in scope, optionally with a draft rule (`--with FILE`);
    /// exits 5 when an enforce rule would reject it. Nothing is stored.
    Evaluate(Evaluate),
    /// Violations recorded by a rule
    Violations {
        id: String,
        /// Unresolved ones only
        #[arg(long)]
        open: bool,
        #[command(flatten)]
        paging: Paging,
    },
}

#[derive(Debug)]
pub struct Policies;

#[derive(Debug, Args)]
pub struct Evaluate {
    /// An existing certificate to evaluate
    #[arg(long, alias = "certificate-id", conflicts_with_all = ["cn", "from_file"])]
    certificate: Option<String>,
    /// Draft: common name
    #[arg(long)]
    cn: Option<String>,
    /// Draft: subject alternative name (repeatable)
    #[arg(long)]
    san: Vec<String>,
    /// Draft: environment
    #[arg(long)]
    environment: Option<String>,
    /// Draft: issuer id
    #[arg(long, alias = "issuer-id")]
    issuer: Option<String>,
    /// Draft: owner id
    #[arg(long, alias = "owner-id")]
    owner: Option<String>,
    /// Draft: target id (repeatable)
    #[arg(long, alias = "target-id")]
    target: Vec<String>,
    /// A draft rule (JSON file, or - for stdin) evaluated as if it existed
    #[arg(long, value_name = "FILE")]
    with: Option<String>,
    #[command(flatten)]
    file: FromFile,
}

#[derive(Debug, Args)]
pub struct Fields {
    #[arg(long)]
    name: Option<String>,
    /// AllowedIssuers, AllowedDomains, RequiredMetadata, AllowedEnvironments, RenewalLeadTime,
    /// CertificateLifetime, KeyAlgorithm or SanRules
    #[arg(long = "type")]
    rule_type: Option<String>,
    /// The rule's configuration as JSON (`{"max_days": 397}`)
    #[arg(long, value_name = "JSON")]
    config: Option<String>,
    /// true or false
    #[arg(long, value_name = "BOOL")]
    enabled: Option<bool>,
    /// Warning, Error or Critical
    #[arg(long)]
    severity: Option<String>,
    /// enforce (reject) or warn (record a violation)
    #[arg(long)]
    mode: Option<String>,
    /// Apply only to keys on agents of this group (repeatable)
    #[arg(long, value_name = "GROUP")]
    scope_group: Vec<String>,
    /// Apply only in this environment (repeatable)
    #[arg(long, value_name = "ENV")]
    scope_environment: Vec<String>,
    #[command(flatten)]
    file: FromFile,
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::Crud(c) => c.run(client, out).await,
        Cmd::Evaluate(e) => evaluate(e, client, out).await,
        Cmd::Violations { id, open, paging } => {
            out.list(paging, |p| client.policy_violations(&id, open, p)).await
        }
    }
}

async fn evaluate(e: Evaluate, client: &Client, out: &Out) -> anyhow::Result<()> {
    let mut b = Body::new(&e.file)?;
    b.set("certificate_id", e.certificate.as_ref())
        .set("common_name", e.cn.as_ref())
        .list("sans", &e.san)
        .set("environment", e.environment.as_ref())
        .set("issuer_id", e.issuer.as_ref())
        .set("owner_id", e.owner.as_ref())
        .list("target_ids", &e.target);
    let mut input: certctl::api::EvaluateInput = b.typed()?;
    if let Some(path) = &e.with {
        let text = if path == "-" {
            std::io::read_to_string(std::io::stdin())?
        } else {
            std::fs::read_to_string(path)?
        };
        input.with = Some(
            serde_json::from_str(&text)
                .map_err(|err| anyhow::anyhow!("--with {path}: not a policy rule: {err}"))?,
        );
    }
    let evaluation = client.evaluate_policies(&input).await?;
    if out.is_json() {
        out.one(&evaluation)?;
    } else {
        let mut t = out.table(&["RESULT", "POLICY", "NAME", "TYPE", "MODE", "SEVERITY", "REASON"]);
        for r in &evaluation.results {
            t.add_row(vec![
                text(if r.passed { "pass" } else { "FAIL" }),
                text(&r.policy_id),
                text(&r.name),
                text(r.rule_type),
                text(r.mode),
                text(r.severity),
                text(&r.reason),
            ]);
        }
        out.text(&format!("{t}\n{}\n", if evaluation.allowed { "allowed" } else { "rejected" }))?;
    }
    if evaluation.allowed {
        Ok(())
    } else {
        let reasons: Vec<String> =
            evaluation.rejections().map(|r| format!("{}: {}", r.name, r.reason)).collect();
        Err(crate::error::Failure {
            exit: crate::error::REJECTED,
            code: "policy_rejected",
            message: format!("rejected by policy: {}", reasons.join("; ")),
        }
        .into())
    }
}

impl Resource for Policies {
    type Fields = Fields;
    type Filter = NoFilter;
    type Item = PolicyRule;
    type Input = PolicyInput;
    const HELP: Help = Help {
        list: "List policy rules",
        get: "Show one rule",
        create: "Create a rule",
        id: "Id to give it (`pol-...`; generated when absent)",
        update: "Change a rule; only the given fields change",
        delete: "Delete a rule",
        ..Help::PLAIN
    };

    fn input(id: Option<String>, f: &Fields) -> anyhow::Result<PolicyInput> {
        let mut b = Body::new(&f.file)?;
        b.set("id", id)
            .set("name", f.name.as_ref())
            .set("type", f.rule_type.as_ref())
            .set("enabled", f.enabled)
            .set("severity", f.severity.as_ref())
            .set("mode", f.mode.as_ref())
            .json("config", f.config.as_deref())?;
        if !f.scope_group.is_empty() || !f.scope_environment.is_empty() {
            let mut scope = Body::default();
            scope
                .list("agent_group_ids", &f.scope_group)
                .list("environments", &f.scope_environment);
            b.set("scope", Some(scope.typed::<serde_json::Value>()?));
        }
        b.typed()
    }
    async fn list(
        c: &Client,
        _: &NoFilter,
        p: PageRequest,
    ) -> Result<Page<PolicyRule>, ClientError> {
        c.list_policies(p).await
    }
    async fn get(c: &Client, id: &str) -> Result<PolicyRule, ClientError> {
        c.get_policy(id).await
    }
    async fn create(c: &Client, input: &PolicyInput) -> Result<PolicyRule, ClientError> {
        c.create_policy(input).await
    }
    async fn update(c: &Client, id: &str, input: &PolicyInput) -> Result<PolicyRule, ClientError> {
        c.update_policy(id, input).await
    }
    async fn delete(c: &Client, id: &str) -> Result<(), ClientError> {
        c.delete_policy(id).await
    }
}
