-- Keyed audit chain and job claim leases.
--
-- mac_version: 0 = legacy event, `hash` is the unkeyed SHA-256 of its content (written before
-- this version); 1 = `hash` is HMAC-SHA-256 with a key derived from the server's secret key.
-- Adding a column with a default fires no UPDATE trigger: recorded events stay as they were.
ALTER TABLE audit_events ADD COLUMN mac_version INTEGER NOT NULL DEFAULT 0;

-- Signed checkpoints of the chain's head (seq, head hash, MAC with the audit key), kept apart
-- from the events so that a later verify detects a truncated tail. Append-only like the events.
CREATE TABLE IF NOT EXISTS audit_checkpoints (
    seq        INTEGER PRIMARY KEY,
    head_hash  TEXT NOT NULL,
    mac        TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_update BEFORE UPDATE ON audit_checkpoints BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;
CREATE TRIGGER IF NOT EXISTS audit_checkpoints_no_delete BEFORE DELETE ON audit_checkpoints BEGIN
    SELECT RAISE(ABORT, 'audit checkpoints are append-only');
END;
-- SQLite has no TRUNCATE: `DELETE FROM audit_events` without WHERE is refused by the
-- audit_no_delete trigger (a table with a DELETE trigger never takes the truncate shortcut).

-- A Running job claimed by the job processor holds its claim until this time (extended while
-- the server works on it, cleared when the job leaves Running); an expired claim means the
-- server that took it stopped, and the job goes back to Pending. NULL for Running jobs that are
-- not the processor's: deployments handed to agents, ACME orders (their own lease).
ALTER TABLE jobs ADD COLUMN claimed_until INTEGER;
CREATE INDEX IF NOT EXISTS jobs_claimed_until ON jobs(claimed_until) WHERE claimed_until IS NOT NULL;
-- Issuance/renewal jobs left Running by a server that died before this version: claimable now.
UPDATE jobs SET claimed_until = CAST(strftime('%s', 'now') AS INTEGER) * 1000
    WHERE status = 'Running' AND type IN ('Issuance', 'Renewal') AND id NOT IN (SELECT job_id FROM acme_orders);
