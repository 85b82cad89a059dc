//! Agent bootstrap tokens: created, listed, revoked, and one use taken atomically with the
//! registration it admits.

macro_rules! sql_admission {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::BootstrapTokenStore for $S {
            async fn create_bootstrap_token(&self, t: &BootstrapToken, audit: &AuditDraft) -> Result<BootstrapToken> {
                let q = sqlx::query(insert!(BootstrapToken)).bind_row(t);
                self.write_audited(q, Some(audit), |e| write_err(e, "bootstrap token", t.id.as_str())).await?;
                Ok(t.clone())
            }
            async fn get_bootstrap_token(&self, id: &BootstrapTokenId) -> Result<BootstrapToken> {
                self.get_row("bootstrap token", id.as_str()).await
            }
            async fn find_bootstrap_token_by_hash(&self, hash: &str) -> Result<Option<BootstrapToken>> {
                sqlx::query_as(concat!(select!(BootstrapToken), " WHERE token_hash = $1"))
                    .bind(hash.to_owned())
                    .fetch_optional(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn list_bootstrap_tokens(&self, page: PageRequest) -> Result<Page<BootstrapToken>> {
                self.simple_page("id", page).await
            }
            async fn revoke_bootstrap_token(&self, id: &BootstrapTokenId, at: Timestamp, audit: &AuditDraft) -> Result<BootstrapToken> {
                let q = sqlx::query("UPDATE bootstrap_tokens SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL").bind(id).bind(at);
                if self.write_audited(q, Some(audit), db_err).await? == 0 {
                    let t = self.get_bootstrap_token(id).await?;
                    return Err(Error::Conflict(format!("bootstrap token {} is already revoked", t.id)));
                }
                self.get_bootstrap_token(id).await
            }
            async fn register_with_bootstrap_token(&self, token: &BootstrapTokenId, a: &Agent, at: Timestamp, audit: &AuditDraft) -> Result<Agent> {
                let mut tx = self.tx().await?;
                let took = sqlx::query(
                    "UPDATE bootstrap_tokens SET uses = uses + 1, last_used_at = $2 WHERE id = $1 AND revoked_at IS NULL \
                     AND expires_at > $2 AND (max_uses IS NULL OR uses < max_uses)",
                )
                .bind(token)
                .bind(at)
                .execute(&mut *tx)
                .await
                .map_err(db_err)?
                .rows_affected();
                if took == 0 {
                    return Err(Error::Unauthenticated(format!("bootstrap token {token} is revoked, expired or used up")));
                }
                Self::insert_agent_in(&mut tx, a).await?;
                self.append_audit_in(&mut tx, audit).await?;
                self.commit_audited(tx).await?;
                Ok(a.clone())
            }
        }
    };
}
