-- certctl schema v1 (PostgreSQL). Timestamps are TIMESTAMPTZ, JSON columns JSONB.
-- Paired with migrations/sqlite/0001_init.sql.

CREATE TABLE IF NOT EXISTS teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS owners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    team_id    TEXT REFERENCES teams(id),
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS owners_team ON owners(team_id);

CREATE TABLE IF NOT EXISTS renewal_policies (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    renewal_window_days      BIGINT NOT NULL,
    auto_renew               BOOLEAN NOT NULL,
    max_retries              BIGINT NOT NULL,
    retry_interval_seconds   BIGINT NOT NULL,
    alert_thresholds_days    JSONB NOT NULL,
    notification_channel_ids JSONB NOT NULL,
    created_at               TIMESTAMPTZ NOT NULL,
    updated_at               TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS issuers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    config     JSONB NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS agents (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL,
    hostname          TEXT NOT NULL DEFAULT '',
    os                TEXT NOT NULL DEFAULT '',
    os_version        TEXT NOT NULL DEFAULT '',
    arch              TEXT NOT NULL DEFAULT '',
    ip_addresses      JSONB NOT NULL DEFAULT '[]',
    agent_version     TEXT NOT NULL DEFAULT '',
    labels            JSONB NOT NULL DEFAULT '{}',
    last_heartbeat_at TIMESTAMPTZ,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS agents_status ON agents(status, id);
CREATE INDEX IF NOT EXISTS agents_heartbeat ON agents(last_heartbeat_at);

CREATE TABLE IF NOT EXISTS managed_certificates (
    id                 TEXT PRIMARY KEY,
    name               TEXT NOT NULL,
    common_name        TEXT NOT NULL,
    sans               JSONB NOT NULL,
    environment        TEXT,
    owner_id           TEXT REFERENCES owners(id),
    team_id            TEXT REFERENCES teams(id),
    issuer_id          TEXT NOT NULL REFERENCES issuers(id),
    renewal_policy_id  TEXT NOT NULL REFERENCES renewal_policies(id),
    status             TEXT NOT NULL,
    expires_at         TIMESTAMPTZ,
    tags               JSONB NOT NULL,
    last_renewal_at    TIMESTAMPTZ,
    last_deployment_at TIMESTAMPTZ,
    created_at         TIMESTAMPTZ NOT NULL,
    updated_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS certs_status_expiry ON managed_certificates(status, expires_at, id);
CREATE INDEX IF NOT EXISTS certs_status_id ON managed_certificates(status, id);
CREATE INDEX IF NOT EXISTS certs_expiry ON managed_certificates(expires_at, id);
CREATE INDEX IF NOT EXISTS certs_environment ON managed_certificates(environment, id);
CREATE INDEX IF NOT EXISTS certs_owner ON managed_certificates(owner_id);
CREATE INDEX IF NOT EXISTS certs_team ON managed_certificates(team_id);
CREATE INDEX IF NOT EXISTS certs_issuer ON managed_certificates(issuer_id);
CREATE INDEX IF NOT EXISTS certs_policy ON managed_certificates(renewal_policy_id);
CREATE INDEX IF NOT EXISTS certs_common_name ON managed_certificates(common_name);

-- Exact per-status totals without counting rows on every request, kept by a trigger in the
-- same transaction as the change.
CREATE TABLE IF NOT EXISTS certificate_status_counts (
    status TEXT PRIMARY KEY,
    n      BIGINT NOT NULL
);
CREATE OR REPLACE FUNCTION certs_count() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE certificate_status_counts SET n = n - 1 WHERE status = OLD.status;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        INSERT INTO certificate_status_counts(status, n) VALUES (NEW.status, 1)
            ON CONFLICT (status) DO UPDATE SET n = certificate_status_counts.n + 1;
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER IF EXISTS certs_count_insert_delete ON managed_certificates;
CREATE TRIGGER certs_count_insert_delete AFTER INSERT OR DELETE ON managed_certificates
    FOR EACH ROW EXECUTE FUNCTION certs_count();
DROP TRIGGER IF EXISTS certs_count_update ON managed_certificates;
CREATE TRIGGER certs_count_update AFTER UPDATE OF status ON managed_certificates
    FOR EACH ROW WHEN (OLD.status IS DISTINCT FROM NEW.status) EXECUTE FUNCTION certs_count();

CREATE TABLE IF NOT EXISTS certificate_versions (
    id                 TEXT PRIMARY KEY,
    certificate_id     TEXT NOT NULL REFERENCES managed_certificates(id),
    serial_number      TEXT NOT NULL,
    not_before         TIMESTAMPTZ NOT NULL,
    not_after          TIMESTAMPTZ NOT NULL,
    fingerprint_sha256 TEXT NOT NULL,
    pem_chain          TEXT NOT NULL,
    csr_pem            TEXT,
    key_algorithm      TEXT NOT NULL,
    key_size           BIGINT NOT NULL,
    revoked_at         TIMESTAMPTZ,
    revocation_reason  TEXT,
    key_ciphertext     TEXT, -- server keygen (demo) only: AES-256-GCM, key outside the database
    created_at         TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_cert ON certificate_versions(certificate_id, created_at);
CREATE INDEX IF NOT EXISTS versions_fingerprint ON certificate_versions(fingerprint_sha256);

CREATE TABLE IF NOT EXISTS deployment_targets (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    agent_id   TEXT REFERENCES agents(id),
    config     JSONB NOT NULL,
    enabled    BOOLEAN NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS targets_agent ON deployment_targets(agent_id);

CREATE TABLE IF NOT EXISTS certificate_target_mappings (
    certificate_id      TEXT NOT NULL REFERENCES managed_certificates(id),
    target_id           TEXT NOT NULL REFERENCES deployment_targets(id),
    deployment_status   TEXT,
    deployed_version_id TEXT,
    last_deployed_at    TIMESTAMPTZ,
    last_error          TEXT,
    PRIMARY KEY (certificate_id, target_id)
);
CREATE INDEX IF NOT EXISTS mappings_target ON certificate_target_mappings(target_id);

CREATE TABLE IF NOT EXISTS agent_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    criteria    JSONB NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

-- Group membership as last computed (criteria are the truth; this records what changed when).
CREATE TABLE IF NOT EXISTS agent_group_members (
    group_id  TEXT NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
    agent_id  TEXT NOT NULL REFERENCES agents(id),
    joined_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (group_id, agent_id)
);
CREATE INDEX IF NOT EXISTS group_members_agent ON agent_group_members(agent_id);

CREATE TABLE IF NOT EXISTS jobs (
    id              TEXT PRIMARY KEY,
    type            TEXT NOT NULL,
    status          TEXT NOT NULL,
    certificate_id  TEXT NOT NULL REFERENCES managed_certificates(id),
    target_id       TEXT REFERENCES deployment_targets(id),
    agent_id        TEXT REFERENCES agents(id),
    version_id      TEXT REFERENCES certificate_versions(id),
    attempts        BIGINT NOT NULL DEFAULT 0,
    max_attempts    BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ,
    last_error      TEXT,
    csr_pem         TEXT, -- the agent's CSR, kept so a transient CA failure can be retried
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL,
    completed_at    TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS jobs_status_next ON jobs(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_cert ON jobs(certificate_id, status);
CREATE INDEX IF NOT EXISTS jobs_agent ON jobs(agent_id, status);

CREATE TABLE IF NOT EXISTS policy_rules (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    config     JSONB NOT NULL,
    enabled    BOOLEAN NOT NULL,
    severity   TEXT NOT NULL,
    mode       TEXT NOT NULL,
    scope      JSONB NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS policy_violations (
    id             TEXT PRIMARY KEY,
    policy_id      TEXT NOT NULL REFERENCES policy_rules(id) ON DELETE CASCADE,
    certificate_id TEXT NOT NULL REFERENCES managed_certificates(id),
    message        TEXT NOT NULL,
    severity       TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    resolved_at    TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS violations_policy ON policy_violations(policy_id, resolved_at);
CREATE INDEX IF NOT EXISTS violations_cert ON policy_violations(certificate_id, resolved_at);

CREATE TABLE IF NOT EXISTS audit_events (
    id            TEXT PRIMARY KEY,
    seq           BIGINT NOT NULL UNIQUE,
    timestamp     TIMESTAMPTZ NOT NULL,
    actor         TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    details       JSONB NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit_events(timestamp);
CREATE INDEX IF NOT EXISTS audit_actor ON audit_events(actor, seq);
CREATE INDEX IF NOT EXISTS audit_resource ON audit_events(resource_type, resource_id, seq);
CREATE INDEX IF NOT EXISTS audit_action ON audit_events(action, seq);
-- Append-only: the database itself refuses changes to recorded events.
CREATE OR REPLACE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit events are append-only';
END $$;
DROP TRIGGER IF EXISTS audit_no_change ON audit_events;
CREATE TRIGGER audit_no_change BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_append_only();

CREATE TABLE IF NOT EXISTS notification_events (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    certificate_id TEXT REFERENCES managed_certificates(id),
    channel        TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    message        TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     TIMESTAMPTZ NOT NULL,
    sent_at        TIMESTAMPTZ,
    read_at        TIMESTAMPTZ,
    dedup_key      TEXT UNIQUE -- e.g. expiry:<cert>:<expires_at>:<threshold>; one event per key
);
CREATE INDEX IF NOT EXISTS notifications_status ON notification_events(status, created_at);
CREATE INDEX IF NOT EXISTS notifications_cert ON notification_events(certificate_id);

CREATE TABLE IF NOT EXISTS api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    role         TEXT NOT NULL,
    key_hash     TEXT NOT NULL UNIQUE,
    agent_id     TEXT REFERENCES agents(id),
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX IF NOT EXISTS api_keys_agent ON api_keys(agent_id);
