//! Agents and agent groups.

macro_rules! sql_fleet {
    ($S:ident, $DB:ty) => {
        impl $S {
            /// Inserts `a` inside `tx` (registration by an operator or with a bootstrap token).
            async fn insert_agent_in(tx: &mut sqlx::Transaction<'_, $DB>, a: &Agent) -> Result<()> {
                sqlx::query(insert!(Agent)).bind_row(a)
                .execute(&mut **tx)
                .await
                .map_err(|e| write_err(e, "agent", a.id.as_str()))?;
                Ok(())
            }
        }

        #[async_trait::async_trait]
        impl $crate::store::AgentStore for $S {
            async fn create_agent(&self, a: &Agent, audit: &AuditDraft) -> Result<Agent> {
                let mut tx = self.tx().await?;
                Self::insert_agent_in(&mut tx, a).await?;
                self.append_audit_in(&mut tx, audit).await?;
                self.commit_audited(tx).await?;
                Ok(a.clone())
            }
            async fn get_agent(&self, id: &AgentId) -> Result<Agent> {
                self.get_row("agent", id.as_str()).await
            }
            async fn list_agents(&self, f: &AgentFilter, page: PageRequest) -> Result<Page<Agent>> {
                if matches!(&f.ids, Some(ids) if ids.is_empty()) {
                    return Ok(Page::new(Vec::new(), 0, page));
                }
                self.filtered_page("id", page, |qb| {
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
                sqlx::query_as(concat!(select!(Agent), " ORDER BY id")).fetch_all(self.r()).await.map_err(db_err)
            }
            async fn update_agent(&self, a: &Agent, audit: &AuditDraft) -> Result<Agent> {
                let q = sqlx::query("UPDATE agents SET name = $2, status = $3, labels = $4, updated_at = $5 WHERE id = $1")
                    .bind(&a.id).bind(&a.name).bind(a.status).bind(Json(&a.labels)).bind(a.updated_at);
                if self.write_audited(q, Some(audit), |e| write_err(e, "agent", a.id.as_str())).await? == 0 {
                    return Err(Error::not_found("agent", a.id.as_str()));
                }
                self.get_agent(&a.id).await
            }
            async fn record_heartbeat(&self, id: &AgentId, m: &AgentMetadata, at: Timestamp) -> Result<Agent> {
                let beat = $crate::store::Beat { agent_id: id.clone(), meta: m.clone(), observed_ip: None };
                match self.record_heartbeats(std::slice::from_ref(&beat), at).await?.pop() {
                    Some(a) => Ok(a),
                    None => {
                        let a = self.get_agent(id).await?;
                        Err(Error::Conflict(format!("agent {} is {}", a.id, a.status)))
                    }
                }
            }
            async fn record_heartbeats(&self, beats: &[$crate::store::Beat], at: Timestamp) -> Result<Vec<Agent>> {
                if beats.is_empty() {
                    return Ok(Vec::new());
                }
                let mut last: std::collections::HashMap<&AgentId, &$crate::store::Beat> = std::collections::HashMap::with_capacity(beats.len());
                for b in beats {
                    last.insert(&b.agent_id, b);
                }
                let mut tx = self.tx().await?;
                // what changed since the stored facts is audited in the same transaction
                let mut ids: Vec<&AgentId> = last.keys().copied().collect();
                ids.sort();
                let mut audits = Vec::new();
                for chunk in ids.chunks(500) {
                    let mut qb = sqlx::QueryBuilder::<$DB>::new(concat!(select!(Agent), " WHERE status <> 'Retired' AND id IN ("));
                    let mut sep = qb.separated(", ");
                    for id in chunk {
                        sep.push_bind((*id).clone());
                    }
                    qb.push(") ORDER BY id");
                    let stored: Vec<Agent> = qb.build_query_as().fetch_all(&mut *tx).await.map_err(db_err)?;
                    for a in stored {
                        let b = last[&a.id];
                        if let Some(changes) = a.fact_changes(&b.meta, b.observed_ip.as_deref()) {
                            audits.push(
                                AuditDraft::new(a.id.as_str(), ActorType::Agent, "agent_facts_changed", "agent", a.id.as_str()).with_details(changes),
                            );
                        }
                    }
                }
                let rows: Vec<serde_json::Value> = last
                    .into_values()
                    .map(|b| {
                        let m = &b.meta;
                        serde_json::json!({
                            "id": b.agent_id, "hostname": m.hostname, "os": m.os, "os_version": m.os_version, "arch": m.arch,
                            "ip_addresses": m.ip_addresses, "agent_version": m.agent_version, "reported_labels": m.labels,
                            "observed_ip": b.observed_ip,
                        })
                    })
                    .collect();
                let json = serde_json::Value::Array(rows).to_string();
                let agents: Vec<Agent> = sqlx::query_as(Self::D.heartbeat_batch).bind(json).bind(at).fetch_all(&mut *tx).await.map_err(db_err)?;
                self.append_audits_in(&mut tx, &audits).await?;
                self.commit_audited(tx).await?;
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
                let q = sqlx::query(insert!(AgentGroup)).bind_row(g);
                self.write_audited(q, Some(audit), |e| write_err(e, "agent group", g.id.as_str())).await?;
                Ok(g.clone())
            }
            async fn get_group(&self, id: &GroupId) -> Result<AgentGroup> {
                self.get_row("agent group", id.as_str()).await
            }
            async fn list_groups(&self, page: PageRequest) -> Result<Page<AgentGroup>> {
                self.simple_page("id", page).await
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
                self.commit_audited(tx).await
            }
            async fn delete_group(&self, id: &GroupId, audit: &AuditDraft) -> Result<()> {
                self.delete_row("agent_groups", "agent group", id.as_str(), audit).await
            }
        }
    };
}
