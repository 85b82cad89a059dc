-- Notification channels (email, webhook, slack, teams) and per-channel deliveries of events.

CREATE TABLE IF NOT EXISTS notification_channels (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    config       JSONB NOT NULL,         -- secrets included: never returned by the API
    events       JSONB NOT NULL DEFAULT '[]', -- event kinds; empty = every kind
    min_severity TEXT NOT NULL DEFAULT 'info',
    enabled      BOOLEAN NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL
);

ALTER TABLE notification_events ADD COLUMN IF NOT EXISTS severity TEXT NOT NULL DEFAULT 'info';
ALTER TABLE notification_events ADD COLUMN IF NOT EXISTS details JSONB NOT NULL DEFAULT '{}';

-- One row per event and channel: the primary key is the dedup that survives restarts.
CREATE TABLE IF NOT EXISTS notification_deliveries (
    notification_id TEXT NOT NULL REFERENCES notification_events(id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL,
    status          TEXT NOT NULL,       -- Pending, Sent, Dead
    attempts        BIGINT NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    last_attempt_at TIMESTAMPTZ,
    last_error      TEXT,
    sent_at         TIMESTAMPTZ,
    PRIMARY KEY (notification_id, channel_id)
);
CREATE INDEX IF NOT EXISTS notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS notification_deliveries_channel ON notification_deliveries(channel_id, status);
