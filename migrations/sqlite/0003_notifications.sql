-- Notification channels (email, webhook, slack, teams) and per-channel deliveries of events.

CREATE TABLE IF NOT EXISTS notification_channels (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    type         TEXT NOT NULL,
    config       TEXT NOT NULL,          -- JSON, secrets included: never returned by the API
    events       TEXT NOT NULL DEFAULT '[]', -- JSON array of event kinds; empty = every kind
    min_severity TEXT NOT NULL DEFAULT 'info',
    enabled      INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);

ALTER TABLE notification_events ADD COLUMN severity TEXT NOT NULL DEFAULT 'info';
ALTER TABLE notification_events ADD COLUMN details TEXT NOT NULL DEFAULT '{}';

-- One row per event and channel: the primary key is the dedup that survives restarts.
CREATE TABLE IF NOT EXISTS notification_deliveries (
    notification_id TEXT NOT NULL REFERENCES notification_events(id) ON DELETE CASCADE,
    channel_id      TEXT NOT NULL,
    status          TEXT NOT NULL,       -- Pending, Sent, Dead
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_error      TEXT,
    sent_at         INTEGER,
    PRIMARY KEY (notification_id, channel_id)
);
CREATE INDEX IF NOT EXISTS notification_deliveries_due ON notification_deliveries(status, next_attempt_at);
CREATE INDEX IF NOT EXISTS notification_deliveries_channel ON notification_deliveries(channel_id, status);
