// Policies: rules (enable/disable, mode, scope), each rule's open violations, and an evaluate
// form that shows the explain output for a draft certificate or an existing one.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import type { Evaluation, PolicyRule, PolicyViolation } from '../api/types';
import { Link } from '../app/router';
import { useClient, useSession } from '../app/session';
import { Badge, ErrorNote, Field, PageHead, Table, fmtTime, splitList } from '../app/ui';

export function PoliciesView() {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const rules = useQuery({ queryKey: ['policies', 'all'], queryFn: () => client.list<PolicyRule>('/policies', { per_page: 500 }) });
  const [open, setOpen] = useState<string | null>(null);
  const [error, setError] = useState<unknown>(null);
  const update = async (r: PolicyRule, change: Partial<PolicyRule>) => {
    setError(null);
    try {
      await client.put(`/policies/${encodeURIComponent(r.id)}`, change);
      await qc.invalidateQueries({ queryKey: ['policies'] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <PageHead title="Policies" />
      <ErrorNote error={rules.error ?? error} />
      <Table label="Policy rules" rows={rules.data?.data} loading={rules.isLoading} rowKey={(r) => r.id} placeholderRows={5} empty="No policy rules." columns={[
        { key: 'name', header: 'Rule', render: (r) => <button type="button" className="link" aria-expanded={open === r.id} onClick={() => setOpen(open === r.id ? null : r.id)}>{r.name}</button> },
        { key: 'type', header: 'Type', render: (r) => r.type },
        { key: 'sev', header: 'Severity', render: (r) => <Badge value={r.severity} /> },
        { key: 'scope', header: 'Scope', render: (r) => [r.scope.environments?.length ? `env: ${r.scope.environments.join(', ')}` : '', r.scope.agent_group_ids?.length ? `groups: ${r.scope.agent_group_ids.join(', ')}` : ''].filter(Boolean).join('; ') || 'everything' },
        { key: 'config', header: 'Config', render: (r) => <code className="details">{JSON.stringify(r.config)}</code> },
        { key: 'mode', header: 'Mode', render: (r) => canWrite ? (
          <select aria-label={`Mode of ${r.name}`} value={r.mode} onChange={(e) => void update(r, { mode: e.target.value as PolicyRule['mode'] })}>
            <option value="enforce">enforce</option>
            <option value="warn">warn</option>
          </select>
        ) : r.mode },
        { key: 'en', header: 'Enabled', render: (r) => canWrite ? (
          <label className="switch"><input type="checkbox" checked={r.enabled} onChange={(e) => void update(r, { enabled: e.target.checked })} aria-label={`${r.name} enabled`} /> {r.enabled ? 'on' : 'off'}</label>
        ) : (r.enabled ? 'on' : 'off') },
      ]} />
      {open && <Violations id={open} />}
      <EvaluateForm />
    </section>
  );
}

function Violations({ id }: { id: string }) {
  const client = useClient();
  const v = useQuery({ queryKey: ['violations', id], queryFn: () => client.list<PolicyViolation>(`/policies/${encodeURIComponent(id)}/violations`, { open: true, per_page: 100 }) });
  return (
    <>
      <h2>Open violations of {id} ({v.data?.total ?? '…'})</h2>
      <ErrorNote error={v.error} />
      <Table label="Violations" rows={v.data?.data} loading={v.isLoading} rowKey={(x) => x.id} placeholderRows={3} empty="No open violations." columns={[
        { key: 'cert', header: 'Certificate', render: (x) => <Link to={`/certificates/${encodeURIComponent(x.certificate_id)}`}>{x.certificate_id}</Link> },
        { key: 'sev', header: 'Severity', render: (x) => <Badge value={x.severity} /> },
        { key: 'msg', header: 'Message', render: (x) => x.message },
        { key: 'at', header: 'Since', render: (x) => fmtTime(x.created_at) },
      ]} />
    </>
  );
}

export function EvaluateForm() {
  const client = useClient();
  const [certId, setCertId] = useState('');
  const [cn, setCn] = useState('');
  const [sans, setSans] = useState('');
  const [env, setEnv] = useState('');
  const [issuer, setIssuer] = useState('');
  const [result, setResult] = useState<Evaluation | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      const body = certId.trim()
        ? { certificate_id: certId.trim(), common_name: '' }
        : { common_name: cn.trim(), sans: splitList(sans), environment: env.trim() || null, issuer_id: issuer.trim() || null };
      setResult(await client.post<Evaluation>('/policies/evaluate', body));
    } catch (err) {
      setResult(null);
      setError(err);
    }
  };
  return (
    <form className="form card" onSubmit={run} aria-label="Evaluate policies">
      <h2>Evaluate</h2>
      <p className="muted">Explains what every enabled rule says about an existing certificate, or about a draft. Nothing is changed.</p>
      <div className="grid2">
        <Field label="Existing certificate id">{(id) => <input id={id} value={certId} onChange={(e) => setCertId(e.target.value)} placeholder="mc-…" />}</Field>
        <Field label="Common name (draft)">{(id) => <input id={id} value={cn} onChange={(e) => setCn(e.target.value)} />}</Field>
        <Field label="SANs (draft)">{(id) => <input id={id} value={sans} onChange={(e) => setSans(e.target.value)} />}</Field>
        <Field label="Environment (draft)">{(id) => <input id={id} value={env} onChange={(e) => setEnv(e.target.value)} />}</Field>
        <Field label="Issuer id (draft)">{(id) => <input id={id} value={issuer} onChange={(e) => setIssuer(e.target.value)} />}</Field>
      </div>
      <div className="actions">
        <button type="submit" className="primary">Evaluate</button>
      </div>
      <ErrorNote error={error} />
      {result && (
        <div aria-live="polite">
          <p>
            Verdict: <Badge value={result.allowed ? 'Allowed' : 'Rejected'} />
          </p>
          <Table label="Evaluation" rows={result.results} rowKey={(r) => r.policy_id} empty="No rule applies." columns={[
            { key: 'p', header: 'Result', render: (r) => <Badge value={r.passed ? 'Passed' : r.mode === 'enforce' ? 'Violation' : 'Warning'} /> },
            { key: 'n', header: 'Rule', render: (r) => r.name },
            { key: 'm', header: 'Mode', render: (r) => r.mode },
            { key: 'r', header: 'Reason', render: (r) => r.reason },
          ]} />
        </div>
      )}
    </form>
  );
}
