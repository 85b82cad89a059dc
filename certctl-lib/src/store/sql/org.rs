//! Teams, owners, renewal policies and issuers.

macro_rules! sql_org {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::TeamStore for $S {
            async fn create_team(&self, t: &Team, audit: &AuditDraft) -> Result<Team> {
                let q = sqlx::query(insert!(Team)).bind_row(t);
                self.write_audited(q, Some(audit), |e| write_err(e, "team", t.id.as_str())).await?;
                Ok(t.clone())
            }
            async fn get_team(&self, id: &TeamId) -> Result<Team> {
                self.get_row("team", id.as_str()).await
            }
            async fn list_teams(&self, page: PageRequest) -> Result<Page<Team>> {
                self.simple_page("id", page).await
            }
            async fn update_team(&self, t: &Team, audit: &AuditDraft) -> Result<Team> {
                let q = sqlx::query("UPDATE teams SET name = $2, description = $3, updated_at = $4 WHERE id = $1")
                    .bind(&t.id).bind(&t.name).bind(&t.description).bind(t.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "team", t.id.as_str())).await? == 0 {
                    return Err(Error::not_found("team", t.id.as_str()));
                }
                self.get_team(&t.id).await
            }
            async fn delete_team(&self, id: &TeamId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("teams", "team", id.as_str(), audit).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::OwnerStore for $S {
            async fn create_owner(&self, o: &Owner, audit: &AuditDraft) -> Result<Owner> {
                let q = sqlx::query(insert!(Owner)).bind_row(o);
                self.write_audited(q, Some(audit), |e| write_err(e, "owner", o.id.as_str())).await?;
                Ok(o.clone())
            }
            async fn get_owner(&self, id: &OwnerId) -> Result<Owner> {
                self.get_row("owner", id.as_str()).await
            }
            async fn list_owners(&self, team_id: Option<&TeamId>, page: PageRequest) -> Result<Page<Owner>> {
                let team = team_id.cloned();
                self.filtered_page("id", page, |qb| {
                    if let Some(t) = &team {
                        qb.push(" WHERE team_id = ").push_bind(t.clone());
                    }
                }, None).await
            }
            async fn update_owner(&self, o: &Owner, audit: &AuditDraft) -> Result<Owner> {
                let q = sqlx::query("UPDATE owners SET name = $2, email = $3, team_id = $4, updated_at = $5 WHERE id = $1")
                    .bind(&o.id).bind(&o.name).bind(&o.email).bind(&o.team_id).bind(o.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "owner", o.id.as_str())).await? == 0 {
                    return Err(Error::not_found("owner", o.id.as_str()));
                }
                self.get_owner(&o.id).await
            }
            async fn delete_owner(&self, id: &OwnerId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("owners", "owner", id.as_str(), audit).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::RenewalPolicyStore for $S {
            async fn create_renewal_policy(&self, p: &RenewalPolicy, audit: &AuditDraft) -> Result<RenewalPolicy> {
                let q = sqlx::query(insert!(RenewalPolicy)).bind_row(p);
                self.write_audited(q, Some(audit), |e| write_err(e, "renewal policy", p.id.as_str())).await?;
                Ok(p.clone())
            }
            async fn get_renewal_policy(&self, id: &RenewalPolicyId) -> Result<RenewalPolicy> {
                self.get_row("renewal policy", id.as_str()).await
            }
            async fn list_renewal_policies(&self, page: PageRequest) -> Result<Page<RenewalPolicy>> {
                self.simple_page("id", page).await
            }
            async fn update_renewal_policy(&self, p: &RenewalPolicy, audit: &AuditDraft) -> Result<RenewalPolicy> {
                let q = sqlx::query(
                    "UPDATE renewal_policies SET name = $2, renewal_window_days = $3, auto_renew = $4, max_retries = $5, \
                     retry_interval_seconds = $6, alert_thresholds_days = $7, notification_channel_ids = $8, updated_at = $9 WHERE id = $1",
                )
                .bind(&p.id).bind(&p.name).bind(p.renewal_window_days).bind(p.auto_renew).bind(p.max_retries)
                .bind(p.retry_interval_seconds).bind(Json(&p.alert_thresholds_days)).bind(Json(&p.notification_channel_ids))
                .bind(p.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "renewal policy", p.id.as_str())).await? == 0 {
                    return Err(Error::not_found("renewal policy", p.id.as_str()));
                }
                self.get_renewal_policy(&p.id).await
            }
            async fn delete_renewal_policy(&self, id: &RenewalPolicyId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("renewal_policies", "renewal policy", id.as_str(), audit).await
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::IssuerStore for $S {
            async fn create_issuer(&self, i: &Issuer, audit: &AuditDraft) -> Result<Issuer> {
                let q = sqlx::query(insert!(Issuer)).bind_row(i);
                self.write_audited(q, Some(audit), |e| write_err(e, "issuer", i.id.as_str())).await?;
                Ok(i.clone())
            }
            async fn get_issuer(&self, id: &IssuerId) -> Result<Issuer> {
                self.get_row("issuer", id.as_str()).await
            }
            async fn list_issuers(&self, page: PageRequest) -> Result<Page<Issuer>> {
                self.simple_page("id", page).await
            }
            async fn update_issuer(&self, i: &Issuer, audit: &AuditDraft) -> Result<Issuer> {
                let q = sqlx::query("UPDATE issuers SET name = $2, type = $3, config = $4, enabled = $5, updated_at = $6 WHERE id = $1")
                    .bind(&i.id).bind(&i.name).bind(&i.issuer_type).bind(Json(&i.config)).bind(i.enabled).bind(i.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "issuer", i.id.as_str())).await? == 0 {
                    return Err(Error::not_found("issuer", i.id.as_str()));
                }
                self.get_issuer(&i.id).await
            }
            async fn delete_issuer(&self, id: &IssuerId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("issuers", "issuer", id.as_str(), audit).await
            }
        }
    };
}
