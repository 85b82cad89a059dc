-- certctl schema v1 (SQLite). Timestamps are INTEGER milliseconds since the Unix epoch (UTC),
-- JSON columns are TEXT. Paired with migrations/postgres/0001_init.sql.

CREATE TABLE IF NOT EXISTS teams (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS owners (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    email      TEXT NOT NULL DEFAULT '',
    team_id    TEXT REFERENCES teams(id),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS owners_team ON owners(team_id);

CREATE TABLE IF NOT EXISTS renewal_policies (
    id                       TEXT PRIMARY KEY,
    name                     TEXT NOT NULL,
    renewal_window_days      INTEGER NOT NULL,
    auto_renew               INTEGER NOT NULL,
    max_retries              INTEGER NOT NULL,
    retry_interval_seconds   INTEGER NOT NULL,
    alert_thresholds_days    TEXT NOT NULL,
    notification_channel_ids TEXT NOT NULL,
    created_at               INTEGER NOT NULL,
    updated_at               INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS issuers (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    config     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS agents (
    id                TEXT PRIMARY KEY,
    name              TEXT NOT NULL,
    status            TEXT NOT NULL,
    hostname          TEXT NOT NULL DEFAULT '',
    os                TEXT NOT NULL DEFAULT '',
    os_version        TEXT NOT NULL DEFAULT '',
    arch              TEXT NOT NULL DEFAULT '',
    ip_addresses      TEXT NOT NULL DEFAULT '[]',
    agent_version     TEXT NOT NULL DEFAULT '',
    labels            TEXT NOT NULL DEFAULT '{}',
    last_heartbeat_at INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS agents_status ON agents(status, id);
CREATE INDEX IF NOT EXISTS agents_heartbeat ON agents(last_heartbeat_at);

CREATE TABLE IF NOT EXISTS managed_certificates (
    rid                INTEGER PRIMARY KEY, -- stable rowid, keys the full-text index
    id                 TEXT NOT NULL UNIQUE,
    name               TEXT NOT NULL,
    common_name        TEXT NOT NULL,
    sans               TEXT NOT NULL,
    environment        TEXT,
    owner_id           TEXT REFERENCES owners(id),
    team_id            TEXT REFERENCES teams(id),
    issuer_id          TEXT NOT NULL REFERENCES issuers(id),
    renewal_policy_id  TEXT NOT NULL REFERENCES renewal_policies(id),
    status             TEXT NOT NULL,
    expires_at         INTEGER,
    tags               TEXT NOT NULL,
    last_renewal_at    INTEGER,
    last_deployment_at INTEGER,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL
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

-- Exact per-status totals without counting rows on every request, kept by triggers in the
-- same transaction as the change.
CREATE TABLE IF NOT EXISTS certificate_status_counts (
    status TEXT PRIMARY KEY,
    n      INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS certs_count_insert AFTER INSERT ON managed_certificates BEGIN
    INSERT INTO certificate_status_counts(status, n) VALUES (NEW.status, 1)
        ON CONFLICT(status) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER IF NOT EXISTS certs_count_delete AFTER DELETE ON managed_certificates BEGIN
    UPDATE certificate_status_counts SET n = n - 1 WHERE status = OLD.status;
END;
CREATE TRIGGER IF NOT EXISTS certs_count_update AFTER UPDATE OF status ON managed_certificates
WHEN OLD.status <> NEW.status BEGIN
    UPDATE certificate_status_counts SET n = n - 1 WHERE status = OLD.status;
    INSERT INTO certificate_status_counts(status, n) VALUES (NEW.status, 1)
        ON CONFLICT(status) DO UPDATE SET n = n + 1;
END;

-- Substring search (`q=`) over name, common name and SANs: a trigram full-text index kept in
-- step by triggers (only when those columns really change).
CREATE VIRTUAL TABLE IF NOT EXISTS certificates_fts USING fts5(
    name, common_name, sans, content='managed_certificates', content_rowid='rid', tokenize='trigram'
);
CREATE TRIGGER IF NOT EXISTS certs_fts_insert AFTER INSERT ON managed_certificates BEGIN
    INSERT INTO certificates_fts(rowid, name, common_name, sans) VALUES (NEW.rid, NEW.name, NEW.common_name, NEW.sans);
END;
CREATE TRIGGER IF NOT EXISTS certs_fts_delete AFTER DELETE ON managed_certificates BEGIN
    INSERT INTO certificates_fts(certificates_fts, rowid, name, common_name, sans)
        VALUES ('delete', OLD.rid, OLD.name, OLD.common_name, OLD.sans);
END;
CREATE TRIGGER IF NOT EXISTS certs_fts_update AFTER UPDATE OF name, common_name, sans ON managed_certificates
WHEN OLD.name IS NOT NEW.name OR OLD.common_name IS NOT NEW.common_name OR OLD.sans IS NOT NEW.sans BEGIN
    INSERT INTO certificates_fts(certificates_fts, rowid, name, common_name, sans)
        VALUES ('delete', OLD.rid, OLD.name, OLD.common_name, OLD.sans);
    INSERT INTO certificates_fts(rowid, name, common_name, sans) VALUES (NEW.rid, NEW.name, NEW.common_name, NEW.sans);
END;

CREATE TABLE IF NOT EXISTS certificate_versions (
    id                 TEXT PRIMARY KEY,
    certificate_id     TEXT NOT NULL REFERENCES managed_certificates(id),
    serial_number      TEXT NOT NULL,
    not_before         INTEGER NOT NULL,
    not_after          INTEGER NOT NULL,
    fingerprint_sha256 TEXT NOT NULL,
    pem_chain          TEXT NOT NULL,
    csr_pem            TEXT,
    key_algorithm      TEXT NOT NULL,
    key_size           INTEGER NOT NULL,
    revoked_at         INTEGER,
    revocation_reason  TEXT,
    key_ciphertext     TEXT, -- server keygen (demo) only: AES-256-GCM, key outside the database
    created_at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS versions_cert ON certificate_versions(certificate_id, created_at);
CREATE INDEX IF NOT EXISTS versions_fingerprint ON certificate_versions(fingerprint_sha256);

CREATE TABLE IF NOT EXISTS deployment_targets (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    agent_id   TEXT REFERENCES agents(id),
    config     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS targets_agent ON deployment_targets(agent_id);

CREATE TABLE IF NOT EXISTS certificate_target_mappings (
    certificate_id      TEXT NOT NULL REFERENCES managed_certificates(id),
    target_id           TEXT NOT NULL REFERENCES deployment_targets(id),
    deployment_status   TEXT,
    deployed_version_id TEXT,
    last_deployed_at    INTEGER,
    last_error          TEXT,
    PRIMARY KEY (certificate_id, target_id)
);
CREATE INDEX IF NOT EXISTS mappings_target ON certificate_target_mappings(target_id);

CREATE TABLE IF NOT EXISTS agent_groups (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    criteria    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Group membership as last computed (criteria are the truth; this records what changed when).
CREATE TABLE IF NOT EXISTS agent_group_members (
    group_id  TEXT NOT NULL REFERENCES agent_groups(id) ON DELETE CASCADE,
    agent_id  TEXT NOT NULL REFERENCES agents(id),
    joined_at INTEGER NOT NULL,
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
    attempts        INTEGER NOT NULL DEFAULT 0,
    max_attempts    INTEGER NOT NULL,
    next_attempt_at INTEGER,
    last_error      TEXT,
    csr_pem         TEXT, -- the agent's CSR, kept so a transient CA failure can be retried
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    completed_at    INTEGER
);
CREATE INDEX IF NOT EXISTS jobs_status_next ON jobs(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS jobs_cert ON jobs(certificate_id, status);
CREATE INDEX IF NOT EXISTS jobs_agent ON jobs(agent_id, status);

CREATE TABLE IF NOT EXISTS policy_rules (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    type       TEXT NOT NULL,
    config     TEXT NOT NULL,
    enabled    INTEGER NOT NULL,
    severity   TEXT NOT NULL,
    mode       TEXT NOT NULL,
    scope      TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS policy_violations (
    id             TEXT PRIMARY KEY,
    policy_id      TEXT NOT NULL REFERENCES policy_rules(id) ON DELETE CASCADE,
    certificate_id TEXT NOT NULL REFERENCES managed_certificates(id),
    message        TEXT NOT NULL,
    severity       TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    resolved_at    INTEGER
);
CREATE INDEX IF NOT EXISTS violations_policy ON policy_violations(policy_id, resolved_at);
CREATE INDEX IF NOT EXISTS violations_cert ON policy_violations(certificate_id, resolved_at);

CREATE TABLE IF NOT EXISTS audit_events (
    id            TEXT PRIMARY KEY,
    seq           INTEGER NOT NULL UNIQUE,
    timestamp     INTEGER NOT NULL,
    actor         TEXT NOT NULL,
    actor_type    TEXT NOT NULL,
    action        TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    resource_id   TEXT NOT NULL,
    details       TEXT NOT NULL,
    prev_hash     TEXT NOT NULL,
    hash          TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_time ON audit_events(timestamp);
CREATE INDEX IF NOT EXISTS audit_actor ON audit_events(actor, seq);
CREATE INDEX IF NOT EXISTS audit_resource ON audit_events(resource_type, resource_id, seq);
CREATE INDEX IF NOT EXISTS audit_action ON audit_events(action, seq);
-- Append-only: the database itself refuses changes to recorded events.
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit_events BEGIN
    SELECT RAISE(ABORT, 'audit events are append-only');
END;

CREATE TABLE IF NOT EXISTS notification_events (
    id             TEXT PRIMARY KEY,
    type           TEXT NOT NULL,
    certificate_id TEXT REFERENCES managed_certificates(id),
    channel        TEXT NOT NULL,
    recipient      TEXT NOT NULL,
    message        TEXT NOT NULL,
    status         TEXT NOT NULL,
    created_at     INTEGER NOT NULL,
    sent_at        INTEGER,
    read_at        INTEGER,
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
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX IF NOT EXISTS api_keys_agent ON api_keys(agent_id);
