// One certificate: names, versions, targets with their latest deployment, jobs, policy
// evaluation and the violations on record, audit trail, and the lifecycle actions (renew,
// deploy, archive, revoke).
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { AuditEvent, Certificate, CertificateVersion, Evaluation, Job, PolicyViolation, Target } from '../api/types';
import { Link } from '../app/router';
import { useClient, useSession } from '../app/session';
import { Badge, ConfirmButton, ErrorNote, PageHead, Table, fmtTime, relDays } from '../app/ui';

export function CertificateDetail({ id }: { id: string }) {
  const client = useClient();
  const { canWrite } = useSession();
  const qc = useQueryClient();
  const path = `/certificates/${encodeURIComponent(id)}`;
  const cert = useQuery({ queryKey: ['certificates', id], queryFn: () => client.get<Certificate>(path) });
  const versions = useQuery({ queryKey: ['certificates', id, 'versions'], queryFn: () => client.list<CertificateVersion>(`${path}/versions`) });
  const jobs = useQuery({ queryKey: ['jobs', 'cert', id], queryFn: () => client.list<Job>('/jobs', { certificate_id: id, per_page: 50 }) });
  const targets = useQuery({ queryKey: ['targets', 'all'], queryFn: () => client.list<Target>('/targets', { per_page: 500 }) });
  const audit = useQuery({ queryKey: ['audit', 'certificate', id], queryFn: () => client.list<AuditEvent>('/audit', { resource_type: 'certificate', resource_id: id, per_page: 50 }) });
  const violations = useQuery({ queryKey: ['violations', 'cert', id, 'recorded'], queryFn: () => client.list<PolicyViolation>(`${path}/violations`, { per_page: 100 }) });
  const evaluation = useQuery({ queryKey: ['violations', 'cert', id], queryFn: () => client.post<Evaluation>('/policies/evaluate', { certificate_id: id, common_name: '' }) });
  const [revokeReason, setRevokeReason] = useState('unspecified');
  const refresh = () => qc.invalidateQueries({ queryKey: ['certificates', id] });

  if (cert.error) return <ErrorNote error={cert.error} />;
  const c = cert.data;
  const lastDeploy = (t: string) => jobs.data?.data.find((j) => j.type === 'Deployment' && j.target_id === t);
  return (
    <section>
      <p className="crumbs">
        <Link to="/certificates">Certificates</Link> / {id}
      </p>
      <PageHead title={c?.name ?? id}>
        {canWrite && c && (
          <>
            <ConfirmButton label="Renew" question={`Start a renewal of ${c.name} now?`} onConfirm={async () => { await client.post(`${path}/renew`); await refresh(); }} />
            <ConfirmButton label="Deploy" question={`Deploy the current version of ${c.name} to every target?`} onConfirm={async () => { await client.post(`${path}/deploy`); await refresh(); }} />
            <ConfirmButton label="Revoke" danger question={`Revoke the current version of ${c.name}? Clients will stop trusting it.`} onConfirm={async () => { await client.post(`${path}/revoke`, { reason: revokeReason }); await refresh(); }}>
              <label>
                Reason{' '}
                <select value={revokeReason} onChange={(e) => setRevokeReason(e.target.value)}>
                  {['unspecified', 'keyCompromise', 'superseded', 'cessationOfOperation', 'affiliationChanged'].map((r) => (
                    <option key={r}>{r}</option>
                  ))}
                </select>
              </label>
            </ConfirmButton>
            <ConfirmButton label="Archive" danger question={`Archive ${c.name}? It leaves the inventory and is no longer renewed.`} onConfirm={async () => { await client.del(path); await refresh(); }} />
          </>
        )}
      </PageHead>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{c ? <Badge value={c.status} /> : '…'}</dd>
        <dt>Common name</dt>
        <dd>{c?.common_name ?? '…'}</dd>
        <dt>SANs</dt>
        <dd>{c ? c.sans.join(', ') || '—' : '…'}</dd>
        <dt>Expires</dt>
        <dd>{c ? `${fmtTime(c.expires_at)} (${relDays(c.expires_at)})` : '…'}</dd>
        <dt>Environment</dt>
        <dd>{c?.environment ?? '—'}</dd>
        <dt>Issuer</dt>
        <dd>{c?.issuer_id ?? '…'}</dd>
        <dt>Renewal policy</dt>
        <dd>{c?.renewal_policy_id ?? '…'}</dd>
        <dt>Tags</dt>
        <dd>{c ? Object.entries(c.tags).map(([k, v]) => `${k}=${v}`).join(', ') || '—' : '…'}</dd>
      </dl>
      <h2>Versions</h2>
      <Table label="Versions" placeholderRows={2} rows={versions.data?.data} loading={versions.isLoading} rowKey={(v) => v.id} empty="Not issued yet." columns={[
        { key: 'serial', header: 'Serial', render: (v) => <code>{v.serial_number}</code> },
        { key: 'nb', header: 'Not before', render: (v) => fmtTime(v.not_before) },
        { key: 'na', header: 'Not after', render: (v) => fmtTime(v.not_after) },
        { key: 'key', header: 'Key', render: (v) => `${v.key_algorithm} ${v.key_size}` },
        { key: 'rev', header: 'Revoked', render: (v) => (v.revoked_at ? `${fmtTime(v.revoked_at)} (${v.revocation_reason ?? ''})` : '—') },
      ]} />
      <h2>Targets and deployment</h2>
      <Table label="Targets" placeholderRows={2} rows={c?.target_ids?.map((t) => targets.data?.data.find((x) => x.id === t) ?? ({ id: t, name: t, type: '?' } as Target))} loading={!c} rowKey={(t) => t.id} empty="No targets: nothing to deploy to." columns={[
        { key: 'name', header: 'Target', render: (t) => t.name },
        { key: 'type', header: 'Type', render: (t) => t.type },
        { key: 'agent', header: 'Agent', render: (t) => t.agent_id ?? '—' },
        { key: 'dep', header: 'Last deployment', render: (t) => { const j = lastDeploy(t.id); return j ? <><Badge value={j.status} /> {fmtTime(j.updated_at)}</> : 'never'; } },
      ]} />
      <h2>Jobs</h2>
      <JobsTable jobs={jobs.data?.data} loading={jobs.isLoading} />
      <h2>Policy evaluation</h2>
      <ErrorNote error={evaluation.error} />
      <Table label="Policy evaluation" placeholderRows={2} rows={evaluation.data?.results} loading={evaluation.isLoading} rowKey={(r) => r.policy_id} empty="No policy applies." columns={[
        { key: 'p', header: 'Result', render: (r) => <Badge value={r.passed ? 'Passed' : r.mode === 'enforce' ? 'Violation' : 'Warning'} /> },
        { key: 'n', header: 'Rule', render: (r) => r.name },
        { key: 'r', header: 'Reason', render: (r) => r.reason },
      ]} />
      <h2>Violations on record</h2>
      <ErrorNote error={violations.error} />
      <Table label="Violations on record" placeholderRows={1} rows={violations.data?.data} loading={violations.isLoading} rowKey={(v) => v.id} empty="No violation recorded." columns={[
        { key: 'state', header: 'State', render: (v) => <Badge value={v.resolved_at ? 'Resolved' : 'Open'} /> },
        { key: 'rule', header: 'Rule', render: (v) => <Link to="/policies">{v.policy_id}</Link> },
        { key: 'sev', header: 'Severity', render: (v) => <Badge value={v.severity} /> },
        { key: 'msg', header: 'Message', render: (v) => v.message },
        { key: 'since', header: 'Since', render: (v) => fmtTime(v.created_at) },
        { key: 'res', header: 'Resolved', render: (v) => fmtTime(v.resolved_at) },
      ]} />
      <h2>Audit</h2>
      <AuditTable events={audit.data?.data} loading={audit.isLoading} />
    </section>
  );
}

export function JobsTable({ jobs, loading, actions }: { jobs: Job[] | undefined; loading: boolean; actions?: (j: Job) => React.ReactNode }) {
  return (
    <Table label="Jobs" placeholderRows={3} rows={jobs} loading={loading} rowKey={(j) => j.id} empty="No jobs." columns={[
      { key: 'id', header: 'Job', render: (j) => <code>{j.id}</code> },
      { key: 'type', header: 'Type', render: (j) => j.type },
      { key: 'status', header: 'Status', render: (j) => <Badge value={j.status} /> },
      { key: 'cert', header: 'Certificate', render: (j) => <Link to={`/certificates/${encodeURIComponent(j.certificate_id)}`}>{j.certificate_id}</Link> },
      { key: 'att', header: 'Attempts', render: (j) => `${j.attempts}/${j.max_attempts}` },
      { key: 'err', header: 'Error', render: (j) => (j.last_error ? <span className="error-text">{j.last_error}</span> : '—') },
      { key: 'at', header: 'Updated', render: (j) => fmtTime(j.updated_at) },
      ...(actions ? [{ key: 'act', header: 'Actions', render: actions }] : []),
    ]} />
  );
}

export function AuditTable({ events, loading }: { events: AuditEvent[] | undefined; loading: boolean }) {
  return (
    <Table label="Audit events" placeholderRows={5} rows={events} loading={loading} rowKey={(e) => e.id} empty="No audit events." columns={[
      { key: 'seq', header: '#', width: '5rem', render: (e) => e.seq },
      { key: 'at', header: 'Time', width: '11rem', render: (e) => fmtTime(e.timestamp) },
      { key: 'actor', header: 'Actor', render: (e) => `${e.actor} (${e.actor_type})` },
      { key: 'action', header: 'Action', render: (e) => e.action },
      { key: 'res', header: 'Resource', render: (e) => `${e.resource_type} ${e.resource_id}` },
      { key: 'det', header: 'Details', render: (e) => (e.details && Object.keys(e.details as object).length ? <code className="details">{JSON.stringify(e.details)}</code> : '—') },
    ]} />
  );
}
