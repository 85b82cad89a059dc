//! Reads for a caller: each checks the caller's access, then reads the inventory (query
//! parameters already decoded into [`crate::api::query`] structs); and the scheduler's loop
//! leadership.

use super::{Access, Actor, KeygenMode, Service};
use crate::api::{
    AgentQuery, CertificateQuery, JobQuery, OwnerQuery, PageQuery, Readiness, TargetQuery,
    ViolationQuery,
};
use crate::error::Result;
use crate::model::*;
use crate::store::LoopLock;

impl Service {
    /// `GET /certificates`.
    pub async fn list_certificates(
        &self,
        actor: &Actor,
        q: &CertificateQuery,
    ) -> Result<Page<Certificate>> {
        actor.require(&Access::Read)?;
        self.store().list_certificates(&q.filter(), q.page_request()).await
    }

    /// The issued versions of a certificate, newest first.
    pub async fn certificate_versions(
        &self,
        actor: &Actor,
        id: &CertificateId,
    ) -> Result<Vec<CertificateVersion>> {
        actor.require(&Access::Read)?;
        self.store().get_certificate(id).await?;
        self.store().list_versions(id).await
    }

    /// The policy violations of a certificate (open only with `open=true`).
    pub async fn certificate_violations(
        &self,
        actor: &Actor,
        id: &CertificateId,
        q: &ViolationQuery,
    ) -> Result<Page<PolicyViolation>> {
        actor.require(&Access::Read)?;
        self.store().get_certificate(id).await?;
        let filter = ViolationFilter {
            policy_id: None,
            certificate_id: Some(id.clone()),
            open_only: q.open,
        };
        self.store().list_violations(&filter, q.page_request()).await
    }

    /// The violations of a policy rule (open only with `open=true`).
    pub async fn policy_violations(
        &self,
        actor: &Actor,
        id: &PolicyId,
        q: &ViolationQuery,
    ) -> Result<Page<PolicyViolation>> {
        actor.require(&Access::Read)?;
        self.store().get_policy(id).await?;
        let filter = ViolationFilter {
            policy_id: Some(id.clone()),
            certificate_id: None,
            open_only: q.open,
        };
        self.store().list_violations(&filter, q.page_request()).await
    }

    /// `GET /jobs`, newest first.
    pub async fn list_jobs(&self, actor: &Actor, q: &JobQuery) -> Result<Page<Job>> {
        actor.require(&Access::Read)?;
        self.store().list_jobs(&q.filter(), q.page_request()).await
    }

    pub async fn get_job(&self, actor: &Actor, id: &JobId) -> Result<Job> {
        actor.require(&Access::Read)?;
        self.store().get_job(id).await
    }

    pub async fn list_issuers(&self, actor: &Actor, q: &PageQuery) -> Result<Page<Issuer>> {
        actor.require(&Access::Read)?;
        self.store().list_issuers(q.page_request()).await
    }

    pub async fn get_issuer(&self, actor: &Actor, id: &IssuerId) -> Result<Issuer> {
        actor.require(&Access::Read)?;
        self.store().get_issuer(id).await
    }

    /// `GET /targets`, optionally of one agent.
    pub async fn list_targets(&self, actor: &Actor, q: &TargetQuery) -> Result<Page<Target>> {
        actor.require(&Access::Read)?;
        let agent = q.agent_id.clone().map(AgentId::from_trusted);
        self.store().list_targets(agent.as_ref(), q.page_request()).await
    }

    pub async fn get_target(&self, actor: &Actor, id: &TargetId) -> Result<Target> {
        actor.require(&Access::Read)?;
        self.store().get_target(id).await
    }

    pub async fn list_groups(&self, actor: &Actor, q: &PageQuery) -> Result<Page<AgentGroup>> {
        actor.require(&Access::Read)?;
        self.store().list_groups(q.page_request()).await
    }

    /// `GET /agent-groups/{id}/members`: the group's members now (criteria evaluated live).
    pub async fn list_group_members(
        &self,
        actor: &Actor,
        id: &GroupId,
        q: &PageQuery,
    ) -> Result<Page<Agent>> {
        let q = AgentQuery {
            group_id: Some(id.as_str().to_owned()),
            page: q.page,
            per_page: q.per_page,
            ..Default::default()
        };
        self.list_agents(actor, &q).await
    }

    pub async fn get_group(&self, actor: &Actor, id: &GroupId) -> Result<AgentGroup> {
        actor.require(&Access::Read)?;
        self.store().get_group(id).await
    }

    /// API keys (admin; secrets are never stored, only their hashes).
    pub async fn list_api_keys(&self, actor: &Actor, q: &PageQuery) -> Result<Page<ApiKey>> {
        actor.require(&Access::Admin)?;
        self.store().list_api_keys(q.page_request()).await
    }

    pub async fn get_api_key(&self, actor: &Actor, id: &ApiKeyId) -> Result<ApiKey> {
        actor.require(&Access::Admin)?;
        self.store().get_api_key(id).await
    }

    pub async fn list_teams(&self, actor: &Actor, q: &PageQuery) -> Result<Page<Team>> {
        actor.require(&Access::Read)?;
        self.store().list_teams(q.page_request()).await
    }

    pub async fn get_team(&self, actor: &Actor, id: &TeamId) -> Result<Team> {
        actor.require(&Access::Read)?;
        self.store().get_team(id).await
    }

    /// `GET /owners`, optionally of one team.
    pub async fn list_owners(&self, actor: &Actor, q: &OwnerQuery) -> Result<Page<Owner>> {
        actor.require(&Access::Read)?;
        let team = q.team_id.clone().map(TeamId::from_trusted);
        self.store().list_owners(team.as_ref(), q.page_request()).await
    }

    pub async fn get_owner(&self, actor: &Actor, id: &OwnerId) -> Result<Owner> {
        actor.require(&Access::Read)?;
        self.store().get_owner(id).await
    }

    pub async fn list_renewal_policies(
        &self,
        actor: &Actor,
        q: &PageQuery,
    ) -> Result<Page<RenewalPolicy>> {
        actor.require(&Access::Read)?;
        self.store().list_renewal_policies(q.page_request()).await
    }

    pub async fn get_renewal_policy(
        &self,
        actor: &Actor,
        id: &RenewalPolicyId,
    ) -> Result<RenewalPolicy> {
        actor.require(&Access::Read)?;
        self.store().get_renewal_policy(id).await
    }

    pub async fn list_policies(&self, actor: &Actor, q: &PageQuery) -> Result<Page<PolicyRule>> {
        actor.require(&Access::Read)?;
        self.store().list_policies(q.page_request()).await
    }

    pub async fn get_policy(&self, actor: &Actor, id: &PolicyId) -> Result<PolicyRule> {
        actor.require(&Access::Read)?;
        self.store().get_policy(id).await
    }

    /// Notification channels (secrets never shown).
    pub async fn list_channels(
        &self,
        actor: &Actor,
        q: &PageQuery,
    ) -> Result<Page<NotificationChannel>> {
        actor.require(&Access::Read)?;
        self.store().list_channels(q.page_request()).await
    }

    pub async fn get_channel(&self, actor: &Actor, id: &ChannelId) -> Result<NotificationChannel> {
        actor.require(&Access::Read)?;
        self.store().get_channel(id).await
    }

    /// `GET /ready` (public): whether the database answers with every migration applied, which
    /// backend it is, and what an operator should be warned about.
    pub async fn readiness(&self, auth_disabled: bool) -> Readiness {
        let mut warnings = Vec::new();
        if self.config().keygen_mode == KeygenMode::Server {
            warnings.push(
                "server keygen mode: private keys are generated on the control plane (demo only)"
                    .to_owned(),
            );
        }
        if auth_disabled {
            warnings.push("authentication is disabled (--auth none)".to_owned());
        }
        let database = self.store().backend().to_owned();
        let ready = match self.store().ready().await {
            Ok(()) => true,
            Err(e) => {
                warnings.push(e.to_string());
                false
            }
        };
        Readiness { ready, database, warnings }
    }

    /// Takes the cluster-wide lock of scheduler loop `name` for one pass, or `None` when another
    /// replica holds it; released when the guard is dropped.
    pub async fn try_lead(&self, name: &str) -> Result<Option<LoopLock>> {
        self.store().try_lock(name).await
    }
}
