-- Fleet certificates (paired with migrations/postgres/0002_fleet.sql). A certificate with
-- agent_group_id and target_template is a template: never issued itself, it has one child per
-- member agent of the group (parent_id = the template, agent_id = the member).

ALTER TABLE managed_certificates ADD COLUMN parent_id TEXT REFERENCES managed_certificates(id);
ALTER TABLE managed_certificates ADD COLUMN agent_id TEXT REFERENCES agents(id);
ALTER TABLE managed_certificates ADD COLUMN agent_group_id TEXT;
ALTER TABLE managed_certificates ADD COLUMN target_template TEXT; -- JSON: {type, name, config}

CREATE INDEX IF NOT EXISTS certs_parent ON managed_certificates(parent_id, id) WHERE parent_id IS NOT NULL;
-- one child per template and agent (archived children are kept and brought back)
CREATE UNIQUE INDEX IF NOT EXISTS certs_parent_agent ON managed_certificates(parent_id, agent_id) WHERE parent_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS certs_group ON managed_certificates(agent_group_id, id) WHERE agent_group_id IS NOT NULL;
