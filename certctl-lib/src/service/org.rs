//! Teams, owners and renewal policies.

use super::validate::{email, new_id, required, text};
use super::{Actor, DEFAULT_RENEWAL_POLICY_ID, Service};
use crate::api::{OwnerInput, RenewalPolicyInput, TeamInput};
use crate::error::{Error, Result};
use crate::model::*;

impl Service {
    pub async fn create_team(&self, actor: &Actor, input: &TeamInput) -> Result<Team> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let team = Team {
            id: new_id(input.id.as_deref(), TeamId::parse, TeamId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            description: input.description.clone().unwrap_or_default(),
            created_at: now,
            updated_at: now,
        };
        let audit = actor
            .audit("team_created", "team", team.id.as_str())
            .with_details(serde_json::json!({"name": team.name}));
        self.store().create_team(&team, &audit).await
    }

    pub async fn update_team(&self, actor: &Actor, id: &TeamId, input: &TeamInput) -> Result<Team> {
        actor.require(&super::Access::Write)?;
        let mut team = self.store().get_team(id).await?;
        if let Some(n) = &input.name {
            team.name = text("name", n, 200)?;
        }
        if let Some(d) = &input.description {
            team.description = d.clone();
        }
        team.updated_at = Timestamp::now();
        self.store().update_team(&team, &actor.audit("team_updated", "team", id.as_str())).await
    }

    pub async fn delete_team(&self, actor: &Actor, id: &TeamId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        self.store().delete_team(id, &actor.audit("team_deleted", "team", id.as_str())).await
    }

    pub async fn create_owner(&self, actor: &Actor, input: &OwnerInput) -> Result<Owner> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let owner = Owner {
            id: new_id(input.id.as_deref(), OwnerId::parse, OwnerId::generate)?,
            name: text("name", &required("name", input.name.as_deref())?, 200)?,
            email: match input.email.as_deref() {
                Some(e) if !e.trim().is_empty() => email("email", e)?,
                _ => String::new(),
            },
            team_id: self.team_ref(input.team_id.clone().flatten()).await?,
            created_at: now,
            updated_at: now,
        };
        self.store()
            .create_owner(&owner, &actor.audit("owner_created", "owner", owner.id.as_str()))
            .await
    }

    pub async fn update_owner(
        &self,
        actor: &Actor,
        id: &OwnerId,
        input: &OwnerInput,
    ) -> Result<Owner> {
        actor.require(&super::Access::Write)?;
        let mut owner = self.store().get_owner(id).await?;
        if let Some(n) = &input.name {
            owner.name = text("name", n, 200)?;
        }
        if let Some(e) = &input.email {
            owner.email = if e.trim().is_empty() { String::new() } else { email("email", e)? };
        }
        if let Some(t) = &input.team_id {
            owner.team_id = self.team_ref(t.clone()).await?;
        }
        owner.updated_at = Timestamp::now();
        self.store().update_owner(&owner, &actor.audit("owner_updated", "owner", id.as_str())).await
    }

    pub async fn delete_owner(&self, actor: &Actor, id: &OwnerId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        self.store().delete_owner(id, &actor.audit("owner_deleted", "owner", id.as_str())).await
    }

    /// A team reference that must exist (422 naming `team_id` otherwise); empty means none.
    pub(super) async fn team_ref(&self, id: Option<String>) -> Result<Option<TeamId>> {
        let Some(id) = id.filter(|s| !s.is_empty()) else { return Ok(None) };
        let id = TeamId::from_trusted(id);
        exists(self.store().get_team(&id).await, "team_id", &id)?;
        Ok(Some(id))
    }

    pub async fn create_renewal_policy(
        &self,
        actor: &Actor,
        input: &RenewalPolicyInput,
    ) -> Result<RenewalPolicy> {
        actor.require(&super::Access::Write)?;
        let now = Timestamp::now();
        let mut rp = RenewalPolicy::with_defaults(
            new_id(input.id.as_deref(), RenewalPolicyId::parse, RenewalPolicyId::generate)?,
            text("name", &required("name", input.name.as_deref())?, 200)?,
            now,
        );
        apply_renewal_policy(&mut rp, input)?;
        let out = self
            .store()
            .create_renewal_policy(
                &rp,
                &actor.audit("renewal_policy_created", "renewal_policy", rp.id.as_str()),
            )
            .await;
        self.invalidate_snapshot();
        out
    }

    pub async fn update_renewal_policy(
        &self,
        actor: &Actor,
        id: &RenewalPolicyId,
        input: &RenewalPolicyInput,
    ) -> Result<RenewalPolicy> {
        actor.require(&super::Access::Write)?;
        let mut rp = self.store().get_renewal_policy(id).await?;
        if let Some(n) = &input.name {
            rp.name = text("name", n, 200)?;
        }
        apply_renewal_policy(&mut rp, input)?;
        rp.updated_at = Timestamp::now();
        let out = self
            .store()
            .update_renewal_policy(
                &rp,
                &actor.audit("renewal_policy_updated", "renewal_policy", id.as_str()),
            )
            .await;
        self.invalidate_snapshot();
        out
    }

    pub async fn delete_renewal_policy(&self, actor: &Actor, id: &RenewalPolicyId) -> Result<()> {
        actor.require(&super::Access::Write)?;
        if id.as_str() == DEFAULT_RENEWAL_POLICY_ID {
            return Err(Error::Conflict(format!(
                "{id} is the default renewal policy and cannot be deleted"
            )));
        }
        let out = self
            .store()
            .delete_renewal_policy(
                id,
                &actor.audit("renewal_policy_deleted", "renewal_policy", id.as_str()),
            )
            .await;
        self.invalidate_snapshot();
        out
    }
}

fn apply_renewal_policy(rp: &mut RenewalPolicy, i: &RenewalPolicyInput) -> Result<()> {
    if let Some(v) = i.renewal_window_days {
        if !(1..=365).contains(&v) {
            return Err(Error::invalid("renewal_window_days", "must be between 1 and 365"));
        }
        rp.renewal_window_days = v;
    }
    if let Some(v) = i.auto_renew {
        rp.auto_renew = v;
    }
    if let Some(v) = i.max_retries {
        if !(0..=100).contains(&v) {
            return Err(Error::invalid("max_retries", "must be between 0 and 100"));
        }
        rp.max_retries = v;
    }
    if let Some(v) = i.retry_interval_seconds {
        if !(1..=86_400).contains(&v) {
            return Err(Error::invalid("retry_interval_seconds", "must be between 1 and 86400"));
        }
        rp.retry_interval_seconds = v;
    }
    if let Some(v) = &i.alert_thresholds_days {
        if v.iter().any(|d| !(0..=365).contains(d)) {
            return Err(Error::invalid(
                "alert_thresholds_days",
                "each threshold must be between 0 and 365 days",
            ));
        }
        let mut v = v.clone();
        v.sort_unstable_by(|a, b| b.cmp(a));
        v.dedup();
        rp.alert_thresholds_days = v;
    }
    if let Some(v) = &i.notification_channel_ids {
        rp.notification_channel_ids = v
            .iter()
            .enumerate()
            .map(|(n, c)| {
                ChannelId::parse(c).map_err(|_| {
                    Error::invalid(
                        format!("notification_channel_ids[{n}]"),
                        format!("{c:?} is not a channel id (nc-...)"),
                    )
                })
            })
            .collect::<Result<_>>()?;
    }
    Ok(())
}

/// Maps the NotFound of a referenced resource to a 422 naming the field.
pub(super) fn exists<T>(r: Result<T>, field: &str, id: &impl std::fmt::Display) -> Result<T> {
    match r {
        Err(Error::NotFound { resource, .. }) => {
            Err(Error::invalid(field, format!("{resource} {id} does not exist")))
        }
        other => other,
    }
}
