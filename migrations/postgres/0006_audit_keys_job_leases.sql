-- Keyed audit chain and job claim leases.
--
-- mac_version: 0 = legacy event, `hash` is the unkeyed SHA-256 of its content (written before
-- this version); 1 = `hash` is HMAC-SHA-256 with a key derived from the server's secret key.
-- Adding a column with a default fires no UPDATE trigger: recorded events stay as they were.
ALTER TABLE audit_events ADD COLUMN IF NOT EXISTS mac_version INTEGER NOT NULL DEFAULT 0;

-- TRUNCATE bypasses row triggers: refuse it with a statement trigger.
DROP TRIGGER IF EXISTS audit_no_truncate ON audit_events;
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only();

-- Signed checkpoints of the chain's head (seq, head hash, MAC with the audit key), kept apart
-- from the events so that a later verify detects a truncated tail. Append-only like the events.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq        BIGINT PRIMARY KEY,
    head_hash  TEXT NOT NULL,
    mac        TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);
CREATE OR REPLACE FUNCTION audit_checkpoints_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit checkpoints are append-only';
END $$;
DROP TRIGGER IF EXISTS audit_checkpoints_no_change ON audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_change BEFORE UPDATE OR DELETE ON audit_checkpoints
    FOR EACH ROW EXECUTE FUNCTION audit_checkpoints_append_only();
DROP TRIGGER IF EXISTS audit_checkpoints_no_truncate ON audit_checkpoints;
CREATE TRIGGER audit_checkpoints_no_truncate BEFORE TRUNCATE ON audit_checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION audit_checkpoints_append_only();

-- A Running job claimed by the job processor holds its claim until this time (extended while
-- the server works on it, cleared when the job leaves Running); an expired claim means the
-- server that took it stopped, and the job goes back to Pending. NULL for Running jobs that are
-- not the processor's: deployments handed to agents, ACME orders (their own lease).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS claimed_until TIMESTAMPTZ;
CREATE INDEX IF NOT EXISTS jobs_claimed_until ON jobs(claimed_until) WHERE claimed_until IS NOT NULL;
-- Issuance/renewal jobs left Running by a server that died before this version: claimable now.
UPDATE jobs SET claimed_until = now()
    WHERE status = 'Running' AND type IN ('Issuance', 'Renewal') AND id NOT IN (SELECT job_id FROM acme_orders);
