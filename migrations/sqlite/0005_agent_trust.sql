-- Agent trust (paired with migrations/postgres/0005_agent_trust.sql): what an agent reports about
-- itself is kept apart from what an operator asserts and from what the server observed; new agents
-- are admitted through bootstrap tokens created in the API.

-- Labels the agent reports in its heartbeats (CERTCTL_AGENT_LABELS on the host). `labels` holds
-- only what an operator set through the API from now on. Until this version heartbeats wrote their
-- labels into `labels`, so existing agents keep them there (groups that used them go on matching)
-- and get a copy as reported labels.
ALTER TABLE agents ADD COLUMN reported_labels TEXT NOT NULL DEFAULT '{}';
UPDATE agents SET reported_labels = labels;
-- The source address of the agent's last heartbeat as the server saw it (the TCP peer).
ALTER TABLE agents ADD COLUMN observed_ip TEXT;

CREATE TABLE IF NOT EXISTS bootstrap_tokens (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   TEXT NOT NULL UNIQUE,
    labels       TEXT NOT NULL DEFAULT '{}',
    auto_approve INTEGER NOT NULL DEFAULT 0,
    max_uses     INTEGER,
    uses         INTEGER NOT NULL DEFAULT 0,
    expires_at   INTEGER NOT NULL,
    created_by   TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
