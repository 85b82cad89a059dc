//! `certctl policies`: list, get, create, update, delete, violations.

use certctl::api::PolicyInput;
use certctl::client::Client;
use clap::{Args, Subcommand};

use crate::args::{FromFile, Id, Paging};
use crate::body::Body;
use crate::output::Out;

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// List policy rules
    List {
        #[command(flatten)]
        paging: Paging,
    },
    /// Show one rule
    Get(Id),
    /// Create a rule
    Create {
        /// Id to give it (`pol-...`; generated when absent)
        #[arg(long)]
        id: Option<String>,
        #[command(flatten)]
        fields: Fields,
    },
    /// Change a rule; only the given fields change
    Update {
        id: String,
        #[command(flatten)]
        fields: Fields,
    },
    /// Delete a rule
    Delete(Id),
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

impl Fields {
    fn input(&self, id: Option<&String>) -> anyhow::Result<PolicyInput> {
        let mut b = Body::new(&self.file)?;
        b.set("id", id)
            .set("name", self.name.as_ref())
            .set("type", self.rule_type.as_ref())
            .set("enabled", self.enabled)
            .set("severity", self.severity.as_ref())
            .set("mode", self.mode.as_ref())
            .json("config", self.config.as_deref())?;
        if !self.scope_group.is_empty() || !self.scope_environment.is_empty() {
            let mut scope = Body::default();
            scope
                .list("agent_group_ids", &self.scope_group)
                .list("environments", &self.scope_environment);
            b.set("scope", Some(scope.typed::<serde_json::Value>()?));
        }
        b.typed()
    }
}

pub async fn run(cmd: Cmd, client: &Client, out: &Out) -> anyhow::Result<()> {
    match cmd {
        Cmd::List { paging } => out.list(paging, |p| client.list_policies(p)).await,
        Cmd::Get(Id { id }) => out.one(&client.get_policy(&id).await?),
        Cmd::Create { id, fields } => {
            out.one(&client.create_policy(&fields.input(id.as_ref())?).await?)
        }
        Cmd::Update { id, fields } => {
            out.one(&client.update_policy(&id, &fields.input(None)?).await?)
        }
        Cmd::Delete(Id { id }) => {
            client.delete_policy(&id).await?;
            out.done(&format!("deleted {id}"))
        }
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
                if r.passed { "pass" } else { "FAIL" }.to_owned(),
                r.policy_id.to_string(),
                r.name.clone(),
                r.rule_type.to_string(),
                r.mode.to_string(),
                r.severity.to_string(),
                r.reason.clone(),
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
