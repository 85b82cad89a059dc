//! Agents (registration, retirement, heartbeats), agent groups and API keys.

use super::auth::{Access, Bootstrap};
use super::validate::{new_id, required, tags, text};
use super::{Actor, Service, auth};
use crate::api::{
    AgentInput, AgentQuery, AgentRegistered, AgentUpdate, AgentView, ApiKeyCreated, ApiKeyInput,
    GroupInput, PageQuery,
};
use crate::error::{Error, Result};
use crate::model::*;

impl Service {
    /// Registers an agent and creates its API key (returned once). An operator or admin registers
    /// an admitted agent with operator labels. An agent registering itself with a bootstrap token
    /// is `Pending` until approved (unless the token auto-approves); its operator labels are the
    /// token's, and the labels it sent are only its reported labels.
    pub async fn register_agent(
        &self,
        actor: &Actor,
        input: &AgentInput,
    ) -> Result<AgentRegistered> {
        actor.require(&Access::RegisterAgent)?;
        let now = Timestamp::now();
        tags("labels", &input.labels)?;
        let id = new_id(input.id.as_deref(), AgentId::parse, AgentId::generate)?;
        let name = text("name", &required("name", Some(&input.name))?, 200)?;
        let agent = match &actor.bootstrap {
            None => {
                let agent = Agent::registered(id, name, input.labels.clone(), now);
                let audit = actor.audit("agent_registered", "agent", agent.id.as_str()).with_details(serde_json::json!({"name": agent.name, "via": "api key", "labels": agent.labels}));
                self.store().create_agent(&agent, &audit).await?
            }
            Some(Bootstrap::Setting) => {
                let mut agent = Agent::registered(id, name, Default::default(), now);
                agent.status = AgentStatus::Pending;
                agent.reported_labels = input.labels.clone();
                let audit = actor.audit("agent_registered", "agent", agent.id.as_str()).with_details(
                    serde_json::json!({"name": agent.name, "via": "bootstrap token (CERTCTL_AGENT_BOOTSTRAP_TOKEN)", "status": agent.status}),
                );
                self.store().create_agent(&agent, &audit).await?
            }
            Some(Bootstrap::Token(token_id)) => {
                let token = self.store().get_bootstrap_token(token_id).await?;
                let mut agent = Agent::registered(id, name, token.labels.clone(), now);
                agent.status =
                    if token.auto_approve { AgentStatus::Offline } else { AgentStatus::Pending };
                agent.reported_labels = input.labels.clone();
                let audit = actor.audit("agent_registered", "agent", agent.id.as_str()).with_details(serde_json::json!({
                    "name": agent.name, "via": "bootstrap token", "bootstrap_token_id": token.id, "status": agent.status, "labels": agent.labels,
                }));
                self.store().register_with_bootstrap_token(token_id, &agent, now, &audit).await?
            }
        };
        let secret = auth::generate_secret()?;
        let key = ApiKey {
            id: ApiKeyId::generate(),
            name: format!("agent {}", agent.id),
            role: Role::Agent,
            key_hash: auth::hash_secret(&secret),
            agent_id: Some(agent.id.clone()),
            created_at: now,
            last_used_at: None,
            revoked_at: None,
        };
        self.store()
            .create_api_key(
                &key,
                &actor
                    .audit("api_key_created", "api_key", key.id.as_str())
                    .with_details(serde_json::json!({"agent_id": agent.id, "role": "agent"})),
            )
            .await?;
        if agent.status != AgentStatus::Pending {
            self.reconcile_agents(std::slice::from_ref(&agent)).await?;
        }
        Ok(AgentRegistered { agent, api_key: secret })
    }

    /// `PUT /agents/{id}`: renames it or replaces its operator labels (audited with the change);
    /// group membership follows at once.
    pub async fn update_agent(
        &self,
        actor: &Actor,
        id: &AgentId,
        input: &AgentUpdate,
    ) -> Result<Agent> {
        actor.require(&Access::Write)?;
        let mut agent = self.store().get_agent(id).await?;
        if agent.status == AgentStatus::Retired {
            return Err(Error::Conflict(format!("agent {id} is retired")));
        }
        let mut details = serde_json::Map::new();
        if let Some(n) = &input.name {
            let n = text("name", n, 200)?;
            if n != agent.name {
                details.insert("name".into(), serde_json::json!({"from": agent.name, "to": n}));
                agent.name = n;
            }
        }
        if let Some(l) = &input.labels {
            tags("labels", l)?;
            if *l != agent.labels {
                details.insert("labels".into(), serde_json::json!({"from": agent.labels, "to": l}));
                agent.labels = l.clone();
            }
        }
        if details.is_empty() {
            return Ok(agent);
        }
        agent.updated_at = Timestamp::now();
        let audit = actor
            .audit("agent_updated", "agent", id.as_str())
            .with_details(serde_json::Value::Object(details));
        let agent = self.store().update_agent(&agent, &audit).await?;
        self.reconcile_agents(std::slice::from_ref(&agent)).await?;
        Ok(agent)
    }

    /// Retires an agent: its keys stop working and it no longer receives work.
    pub async fn retire_agent(&self, actor: &Actor, id: &AgentId) -> Result<Agent> {
        actor.require(&super::Access::Write)?;
        let mut agent = self.store().get_agent(id).await?;
        if agent.status == AgentStatus::Retired {
            return Err(Error::Conflict(format!("agent {id} is already retired")));
        }
        let now = Timestamp::now();
        let mut page = 1;
        loop {
            let keys = self.store().list_api_keys(PageRequest::new(page, MAX_PER_PAGE)).await?;
            for k in keys
                .data
                .iter()
                .filter(|k| k.agent_id.as_ref() == Some(id) && k.revoked_at.is_none())
            {
                self.store()
                    .revoke_api_key(
                        &k.id,
                        now,
                        &actor
                            .audit("api_key_revoked", "api_key", k.id.as_str())
                            .with_details(serde_json::json!({"agent_id": id})),
                    )
                    .await?;
            }
            if keys.data.len() < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        self.clear_auth_cache();
        agent.status = AgentStatus::Retired;
        agent.updated_at = now;
        let agent = self
            .store()
            .update_agent(&agent, &actor.audit("agent_retired", "agent", id.as_str()))
            .await?;
        self.reconcile_agents(std::slice::from_ref(&agent)).await?;
        Ok(agent)
    }

    /// Stores what an agent reports about its host (its own key only), with the address the
    /// request came from (`observed`, the TCP peer). Changed facts are audited.
    pub async fn heartbeat(
        &self,
        actor: &Actor,
        id: &AgentId,
        meta: &AgentMetadata,
        observed: Option<std::net::IpAddr>,
    ) -> Result<Agent> {
        actor.require(&Access::Agent(id.clone()))?;
        if meta.ip_addresses.len() > 256 {
            return Err(Error::invalid("ip_addresses", "at most 256 addresses"));
        }
        for (i, ip) in meta.ip_addresses.iter().enumerate() {
            if ip.parse::<std::net::IpAddr>().is_err() {
                return Err(Error::invalid(
                    format!("ip_addresses[{i}]"),
                    format!("{ip:?} is not an IP address"),
                ));
            }
        }
        tags("labels", &meta.labels)?;
        for (field, v) in [
            ("hostname", &meta.hostname),
            ("os", &meta.os),
            ("os_version", &meta.os_version),
            ("arch", &meta.arch),
            ("agent_version", &meta.agent_version),
        ] {
            if v.len() > 255 {
                return Err(Error::invalid(field, "at most 255 characters"));
            }
        }
        // `::ffff:10.0.0.1` (an IPv4 client on a dual-stack listener) is stored as `10.0.0.1`
        let observed = observed.map(|ip| ip.to_canonical().to_string());
        self.queue_heartbeat(id.clone(), meta.clone(), observed).await
    }

    /// Every group, compiled (a group whose stored criteria no longer compile matches nothing).
    pub(super) async fn membership(&self) -> Result<crate::groups::Membership> {
        let mut compiled = Vec::new();
        let mut page = 1;
        loop {
            let p = self.store().list_groups(PageRequest::new(page, MAX_PER_PAGE)).await?;
            let n = p.data.len();
            compiled.extend(
                p.data
                    .into_iter()
                    .filter_map(|g| crate::groups::compile(&g.criteria).ok().map(|c| (g.id, c))),
            );
            if n < MAX_PER_PAGE as usize {
                break;
            }
            page += 1;
        }
        Ok(crate::groups::Membership::new(compiled))
    }

    /// Brings the stored memberships of `agents` in line with the groups' criteria (retired
    /// agents belong to none) and records `agent_joined_group` / `agent_left_group` events.
    pub(super) async fn reconcile_agents(&self, agents: &[Agent]) -> Result<()> {
        if agents.is_empty() {
            return Ok(());
        }
        let membership = self.membership().await?;
        let ids: Vec<AgentId> = agents.iter().map(|a| a.id.clone()).collect();
        let stored = self.store().memberships_of(&ids).await?;
        let (mut joins, mut leaves) = (Vec::new(), Vec::new());
        for a in agents {
            let want = if admitted(a) { membership.groups_of_agent(a) } else { Vec::new() };
            let mut had: Vec<GroupId> =
                stored.iter().filter(|(_, x)| *x == a.id).map(|(g, _)| g.clone()).collect();
            had.sort();
            let (joined, left) = crate::groups::diff(&had, &want);
            joins.extend(joined.into_iter().map(|g| (g, a.id.clone())));
            leaves.extend(left.into_iter().map(|g| (g, a.id.clone())));
        }
        self.apply_membership(joins, leaves).await
    }

    /// Brings the stored members of `group` in line with its criteria (after it changed).
    pub(super) async fn reconcile_group(&self, group: &GroupId) -> Result<()> {
        let want = match self.store().get_group(group).await {
            Ok(_) => {
                let agents = self.store().all_agents().await?;
                let live: Vec<Agent> = agents.into_iter().filter(admitted).collect();
                let g = self.store().get_group(group).await?;
                crate::groups::members(&crate::groups::compile(&g.criteria)?, live.iter())
            }
            Err(Error::NotFound { .. }) => Vec::new(),
            Err(e) => return Err(e),
        };
        let had = self.store().stored_members(group).await?;
        let (joined, left) = crate::groups::diff(&had, &want);
        self.apply_membership(
            joined.into_iter().map(|a| (group.clone(), a)).collect(),
            left.into_iter().map(|a| (group.clone(), a)).collect(),
        )
        .await
    }

    async fn apply_membership(
        &self,
        joins: Vec<(GroupId, AgentId)>,
        leaves: Vec<(GroupId, AgentId)>,
    ) -> Result<()> {
        let sys = Actor::system();
        let audits: Vec<_> = joins
            .iter()
            .map(|(g, a)| (g, a, "agent_joined_group"))
            .chain(leaves.iter().map(|(g, a)| (g, a, "agent_left_group")))
            .map(|(g, a, action)| {
                sys.audit(action, "agent", a.as_str())
                    .with_details(serde_json::json!({"group_id": g}))
            })
            .collect();
        self.store().apply_membership(&joins, &leaves, Timestamp::now(), &audits).await?;
        self.after_membership_change(&joins, &leaves).await
    }

    /// What follows a membership change at once: fleet children for joining agents (archived for
    /// leaving ones), and the violations of certificates whose key lives on a moved agent.
    async fn after_membership_change(
        &self,
        joins: &[(GroupId, AgentId)],
        leaves: &[(GroupId, AgentId)],
    ) -> Result<()> {
        if joins.is_empty() && leaves.is_empty() {
            return Ok(());
        }
        self.fleet_membership_changed(joins, leaves).await?;
        let mut moved: Vec<AgentId> = joins.iter().chain(leaves).map(|(_, a)| a.clone()).collect();
        moved.sort();
        moved.dedup();
        self.recheck_agents(&moved).await
    }

    /// An agent with the groups it belongs to now.
    pub async fn agent_view(&self, actor: &Actor, id: &AgentId) -> Result<AgentView> {
        actor.require(&super::Access::Read)?;
        let agent = self.store().get_agent(id).await?;
        let groups = if admitted(&agent) {
            self.membership().await?.groups_of_agent(&agent)
        } else {
            Vec::new()
        };
        Ok(AgentView { agent, groups })
    }

    /// The current members of a group: its criteria evaluated against every agent.
    pub async fn group_members(&self, id: &GroupId) -> Result<Vec<AgentId>> {
        let group = self.store().get_group(id).await?;
        let criteria = crate::groups::compile(&group.criteria)?;
        let agents = self.store().all_agents().await?;
        Ok(crate::groups::members(&criteria, agents.iter().filter(|a| admitted(a))))
    }

    /// The agents that `criteria` would select now, without saving anything (the group editor's
    /// preview). Invalid criteria are [`Error::Invalid`] naming the field.
    pub async fn preview_group(
        &self,
        actor: &Actor,
        criteria: &GroupCriteria,
        page: &PageQuery,
    ) -> Result<Page<Agent>> {
        actor.require(&super::Access::Read)?;
        let compiled = crate::groups::compile(criteria)?;
        let agents = self.store().all_agents().await?;
        let ids = crate::groups::members(&compiled, agents.iter().filter(|a| admitted(a)));
        let filter = AgentFilter { ids: Some(ids), ..Default::default() };
        self.store().list_agents(&filter, page.page_request()).await
    }

    /// `GET /agents`: `group_id` resolves to the group's current members.
    pub async fn list_agents(&self, actor: &Actor, q: &AgentQuery) -> Result<Page<Agent>> {
        actor.require(&super::Access::Read)?;
        let mut f = q.filter();
        if let Some(g) = &f.group_id {
            f.ids = Some(self.group_members(g).await?);
        }
        self.store().list_agents(&f, q.page_request()).await
    }

    pub async fn create_group(&self, actor: &Actor, input: &GroupInput) -> Result<AgentGroup> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let group = AgentGroup {
            id: new_id(input.id.as_deref(), GroupId::parse, GroupId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            description: input.description.clone().unwrap_or_default(),
            criteria: input.criteria.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        crate::groups::compile(&group.criteria)?;
        let group = self
            .store()
            .create_group(
                &group,
                &actor.audit("agent_group_created", "agent_group", group.id.as_str()),
            )
            .await?;
        self.reconcile_group(&group.id).await?;
        Ok(group)
    }

    pub async fn update_group(
        &self,
        actor: &Actor,
        id: &GroupId,
        input: &GroupInput,
    ) -> Result<AgentGroup> {
        actor.require(&super::Access::Write)?;
        let mut g = self.store().get_group(id).await?;
        if let Some(n) = &input.name {
            g.name = text("name", n, 200)?;
        }
        if let Some(d) = &input.description {
            g.description = d.clone();
        }
        if let Some(c) = &input.criteria {
            g.criteria = c.clone();
        }
        crate::groups::compile(&g.criteria)?;
        g.updated_at = Timestamp::now();
        let g = self
            .store()
            .update_group(&g, &actor.audit("agent_group_updated", "agent_group", id.as_str()))
            .await?;
        self.reconcile_group(id).await?;
        Ok(g)
    }

    pub async fn delete_group(&self, actor: &Actor, id: &GroupId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        let members = self.store().stored_members(id).await?;
        self.store()
            .delete_group(id, &actor.audit("agent_group_deleted", "agent_group", id.as_str()))
            .await?;
        // the rows went with the group; the members' leaving is still an event of each agent
        let sys = Actor::system();
        let audits: Vec<_> = members
            .iter()
            .map(|a| {
                sys.audit("agent_left_group", "agent", a.as_str())
                    .with_details(serde_json::json!({"group_id": id, "reason": "group deleted"}))
            })
            .collect();
        let leaves: Vec<(GroupId, AgentId)> =
            members.iter().map(|a| (id.clone(), a.clone())).collect();
        self.store().apply_membership(&[], &leaves, Timestamp::now(), &audits).await?;
        self.after_membership_change(&[], &leaves).await
    }

    /// Creates an API key for a person or script (not for agents: they get theirs at registration).
    pub async fn create_api_key(
        &self,
        actor: &Actor,
        input: &ApiKeyInput,
    ) -> Result<ApiKeyCreated> {
        actor.require(&super::Access::Admin)?;
        if input.role == Role::Agent {
            return Err(Error::invalid(
                "role",
                "agent keys are created by registering an agent (POST /api/v1/agents)",
            ));
        }
        let secret = auth::generate_secret()?;
        let key = ApiKey {
            id: ApiKeyId::generate(),
            name: text("name", &input.name, 200)?,
            role: input.role,
            key_hash: auth::hash_secret(&secret),
            agent_id: None,
            created_at: Timestamp::now(),
            last_used_at: None,
            revoked_at: None,
        };
        let audit = actor
            .audit("api_key_created", "api_key", key.id.as_str())
            .with_details(serde_json::json!({"name": key.name, "role": key.role}));
        let api_key = self.store().create_api_key(&key, &audit).await?;
        Ok(ApiKeyCreated { api_key, key: secret })
    }

    pub async fn revoke_api_key(&self, actor: &Actor, id: &ApiKeyId) -> Result<ApiKey> {
        actor.require(&super::Access::Admin)?;
        let key = self
            .store()
            .revoke_api_key(
                id,
                Timestamp::now(),
                &actor.audit("api_key_revoked", "api_key", id.as_str()),
            )
            .await;
        self.clear_auth_cache();
        key
    }
}

/// Whether an agent takes part in groups (and so in fleet certificates and group-scoped policies):
/// not retired, and approved.
pub(super) fn admitted(a: &Agent) -> bool {
    !matches!(a.status, AgentStatus::Retired | AgentStatus::Pending)
}
