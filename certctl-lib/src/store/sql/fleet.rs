//! Agents and agent groups.

macro_rules! sql_fleet {
    ($S:ident, $DB:ty) => {
        #[async_trait::async_trait]
        impl $crate::store::AgentStore for $S {
            async fn create_agent(&self, a: &Agent, audit: &AuditDraft) -> Result<Agent> {
                let q = sqlx::query(
                    "INSERT INTO agents (id, name, status, hostname, os, os_version, arch, ip_addresses, agent_version, labels, \
                     last_heartbeat_at, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                )
                .bind(&a.id).bind(&a.name).bind(a.status).bind(&a.hostname).bind(&a.os).bind(&a.os_version).bind(&a.arch)
                .bind(Json(&a.ip_addresses)).bind(&a.agent_version).bind(Json(&a.labels)).bind(a.last_heartbeat_at)
                .bind(a.created_at).bind(a.updated_at);
                self.write_audited(q, Some(audit), |e| write_err(e, "agent", a.id.as_str())).await?;
                Ok(a.clone())
            }
            async fn get_agent(&self, id: &AgentId) -> Result<Agent> {
                self.get_row("agents", "agent", id.as_str()).await
            }
            async fn list_agents(&self, f: &AgentFilter, page: PageRequest) -> Result<Page<Agent>> {
                if matches!(&f.ids, Some(ids) if ids.is_empty()) {
                    return Ok(Page::new(Vec::new(), 0, page));
                }
                self.filtered_page("agents", "id", page, |qb| {
                    let mut w = Conds(false);
                    if let Some(s) = f.status {
                        w.next(qb);
                        qb.push("status = ").push_bind(s);
                    }
                    if let Some(os) = &f.os {
                        w.next(qb);
                        qb.push("lower(os) = ").push_bind(os.to_lowercase());
                    }
                    if let Some(arch) = &f.arch {
                        w.next(qb);
                        qb.push("lower(arch) = ").push_bind(arch.to_lowercase());
                    }
                    if let Some(ids) = &f.ids {
                        w.next(qb);
                        qb.push("id IN (");
                        let mut sep = qb.separated(", ");
                        for id in ids {
                            sep.push_bind(id.clone());
                        }
                        qb.push(")");
                    }
                }, None).await
            }
            async fn all_agents(&self) -> Result<Vec<Agent>> {
                sqlx::query_as("SELECT * FROM agents ORDER BY id").fetch_all(self.r()).await.map_err(db_err)
            }
            async fn update_agent(&self, a: &Agent, audit: &AuditDraft) -> Result<Agent> {
                let q = sqlx::query("UPDATE agents SET name = $2, status = $3, updated_at = $4 WHERE id = $1")
                    .bind(&a.id).bind(&a.name).bind(a.status).bind(a.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "agent", a.id.as_str())).await? == 0 {
                    return Err(Error::not_found("agent", a.id.as_str()));
                }
                self.get_agent(&a.id).await
            }
            async fn record_heartbeat(&self, id: &AgentId, m: &AgentMetadata, at: Timestamp) -> Result<Agent> {
                let mut tx = self.tx().await?;
                let row: Option<Agent> = sqlx::query_as(
                    "UPDATE agents SET hostname = $2, os = $3, os_version = $4, arch = $5, ip_addresses = $6, agent_version = $7, \
                     labels = $8, last_heartbeat_at = $9, updated_at = $9, \
                     status = CASE WHEN status = 'Offline' THEN 'Online' ELSE status END \
                     WHERE id = $1 AND status <> 'Retired' RETURNING *",
                )
                .bind(id).bind(&m.hostname).bind(&m.os).bind(&m.os_version).bind(&m.arch).bind(Json(&m.ip_addresses))
                .bind(&m.agent_version).bind(Json(&m.labels)).bind(at)
                .fetch_optional(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                match row {
                    Some(a) => Ok(a),
                    None => {
                        let a = self.get_agent(id).await?;
                        Err(Error::Conflict(format!("agent {} is {}", a.id, a.status)))
                    }
                }
            }
            async fn record_heartbeats(&self, beats: &[(AgentId, AgentMetadata)], at: Timestamp) -> Result<Vec<Agent>> {
                if beats.is_empty() {
                    return Ok(Vec::new());
                }
                let mut last: std::collections::HashMap<&AgentId, &AgentMetadata> = std::collections::HashMap::with_capacity(beats.len());
                for (id, m) in beats {
                    last.insert(id, m);
                }
                let rows: Vec<serde_json::Value> = last
                    .into_iter()
                    .map(|(id, m)| serde_json::json!({
                        "id": id, "hostname": m.hostname, "os": m.os, "os_version": m.os_version, "arch": m.arch,
                        "ip_addresses": m.ip_addresses, "agent_version": m.agent_version, "labels": m.labels,
                    }))
                    .collect();
                let json = serde_json::Value::Array(rows).to_string();
                let mut tx = self.tx().await?;
                let agents: Vec<Agent> = sqlx::query_as(Self::D.heartbeat_batch).bind(json).bind(at).fetch_all(&mut *tx).await.map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(agents)
            }
            async fn mark_stale_agents_offline(&self, cutoff: Timestamp) -> Result<Vec<AgentId>> {
                let mut tx = self.tx().await?;
                let ids: Vec<AgentId> = sqlx::query_scalar(
                    "UPDATE agents SET status = 'Offline', updated_at = $2 WHERE status IN ('Online', 'Degraded') \
                     AND (last_heartbeat_at IS NULL OR last_heartbeat_at < $1) RETURNING id",
                )
                .bind(cutoff)
                .bind(Timestamp::now())
                .fetch_all(&mut *tx)
                .await
                .map_err(db_err)?;
                tx.commit().await.map_err(db_err)?;
                Ok(ids)
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::GroupStore for $S {
            async fn create_group(&self, g: &AgentGroup, audit: &AuditDraft) -> Result<AgentGroup> {
                let q = sqlx::query(
                    "INSERT INTO agent_groups (id, name, description, criteria, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(&g.id).bind(&g.name).bind(&g.description).bind(Json(&g.criteria)).bind(g.created_at).bind(g.updated_at);
                self.write_audited(q, Some(audit), |e| write_err(e, "agent group", g.id.as_str())).await?;
                Ok(g.clone())
            }
            async fn get_group(&self, id: &GroupId) -> Result<AgentGroup> {
                self.get_row("agent_groups", "agent group", id.as_str()).await
            }
            async fn list_groups(&self, page: PageRequest) -> Result<Page<AgentGroup>> {
                self.simple_page("agent_groups", "id", page).await
            }
            async fn update_group(&self, g: &AgentGroup, audit: &AuditDraft) -> Result<AgentGroup> {
                let q = sqlx::query("UPDATE agent_groups SET name = $2, description = $3, criteria = $4, updated_at = $5 WHERE id = $1")
                    .bind(&g.id).bind(&g.name).bind(&g.description).bind(Json(&g.criteria)).bind(g.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "agent group", g.id.as_str())).await? == 0 {
                    return Err(Error::not_found("agent group", g.id.as_str()));
                }
                self.get_group(&g.id).await
            }
            async fn memberships_of(&self, agents: &[AgentId]) -> Result<Vec<(GroupId, AgentId)>> {
                if agents.is_empty() {
                    return Ok(Vec::new());
                }
                let mut out = Vec::new();
                for chunk in agents.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new("SELECT group_id, agent_id FROM agent_group_members WHERE agent_id IN (");
                    let mut sep = qb.separated(", ");
                    for a in chunk {
                        sep.push_bind(a.clone());
                    }
                    qb.push(")");
                    let rows: Vec<(GroupId, AgentId)> = qb.build_query_as().fetch_all(self.r()).await.map_err(db_err)?;
                    out.extend(rows);
                }
                Ok(out)
            }
            async fn stored_members(&self, group: &GroupId) -> Result<Vec<AgentId>> {
                sqlx::query_scalar("SELECT agent_id FROM agent_group_members WHERE group_id = $1 ORDER BY agent_id")
                    .bind(group)
                    .fetch_all(self.r())
                    .await
                    .map_err(db_err)
            }
            async fn apply_membership(&self, joins: &[(GroupId, AgentId)], leaves: &[(GroupId, AgentId)], at: Timestamp, audits: &[AuditDraft]) -> Result<()> {
                if joins.is_empty() && leaves.is_empty() {
                    return Ok(());
                }
                let mut tx = self.tx().await?;
                for (g, a) in joins {
                    sqlx::query("INSERT INTO agent_group_members (group_id, agent_id, joined_at) VALUES ($1, $2, $3) ON CONFLICT (group_id, agent_id) DO NOTHING")
                        .bind(g).bind(a).bind(at)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                for (g, a) in leaves {
                    sqlx::query("DELETE FROM agent_group_members WHERE group_id = $1 AND agent_id = $2")
                        .bind(g).bind(a)
                        .execute(&mut *tx).await.map_err(db_err)?;
                }
                self.append_audits_in(&mut tx, audits).await?;
                tx.commit().await.map_err(db_err)
            }
            async fn delete_group(&self, id: &GroupId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("agent_groups", "agent group", id.as_str(), audit).await
            }
        }
    };
}
