-- ACME issuer: one account per issuer (credentials sealed with the secret key, never plain),
-- the order of each issuance job in flight (so a restart resumes it), and HTTP-01 tokens the
-- control plane (or an agent) serves.
CREATE TABLE IF NOT EXISTS acme_accounts (
    issuer_id          TEXT PRIMARY KEY REFERENCES issuers(id) ON DELETE CASCADE,
    directory_url      TEXT NOT NULL,
    account_url        TEXT NOT NULL,
    credentials_sealed TEXT NOT NULL,
    created_at         TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS acme_orders (
    job_id      TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
    issuer_id   TEXT NOT NULL,
    order_url   TEXT,
    state       JSONB NOT NULL,
    lease_owner TEXT,
    lease_until TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE IF NOT EXISTS acme_challenges (
    token             TEXT PRIMARY KEY,
    key_authorization TEXT NOT NULL,
    order_job_id      TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
    validation_job_id TEXT REFERENCES jobs(id) ON DELETE CASCADE,
    mode              TEXT NOT NULL,
    webroot           TEXT,
    created_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX IF NOT EXISTS acme_challenges_order ON acme_challenges(order_job_id);
CREATE INDEX IF NOT EXISTS acme_challenges_validation ON acme_challenges(validation_job_id);
