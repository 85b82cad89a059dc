// Issuers and targets: list, create, enable/disable, delete, and (issuers) test.
import { useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { formErrors, type FormErrors } from '../api/client';
import type { ConnectorInput, Issuer, Target, TestResult } from '../api/types';
import { useClient, useSession } from '../app/session';
import { Badge, ConfirmButton, Dialog, ErrorNote, Field, PageHead, Table, fmtTime } from '../app/ui';

type Kind = 'issuers' | 'targets';
type Connector = Issuer & Partial<Pick<Target, 'agent_id'>>;

export function ConnectorsView({ kind }: { kind: Kind }) {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const list = useQuery({ queryKey: [kind, 'all'], queryFn: () => client.list<Connector>(`/${kind}`, { per_page: 500 }) });
  const [creating, setCreating] = useState(false);
  const [tests, setTests] = useState<Record<string, TestResult | string>>({});
  const [error, setError] = useState<unknown>(null);
  const title = kind === 'issuers' ? 'Issuers' : 'Targets';
  const path = (c: Connector) => `/${kind}/${encodeURIComponent(c.id)}`;
  const toggle = async (c: Connector) => {
    setError(null);
    try {
      await client.put(path(c), { enabled: !c.enabled });
      await qc.invalidateQueries({ queryKey: [kind] });
    } catch (e) {
      setError(e);
    }
  };
  return (
    <section>
      <PageHead title={title}>
        {canWrite && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New {kind === 'issuers' ? 'issuer' : 'target'}
          </button>
        )}
      </PageHead>
      <ErrorNote error={list.error ?? error} />
      <Table label={title} rows={list.data?.data} loading={list.isLoading} rowKey={(c) => c.id} placeholderRows={4} empty={`No ${kind}.`} columns={[
        { key: 'name', header: 'Name', render: (c) => c.name },
        { key: 'id', header: 'Id', render: (c) => <code>{c.id}</code> },
        { key: 'type', header: 'Type', render: (c) => c.type },
        ...(kind === 'targets' ? [{ key: 'agent', header: 'Agent', render: (c: Connector) => c.agent_id ?? '—' }] : []),
        { key: 'config', header: 'Config', render: (c) => <code className="details">{JSON.stringify(c.config)}</code> },
        { key: 'en', header: 'Enabled', render: (c) => <Badge value={c.enabled ? 'Enabled' : 'Disabled'} /> },
        { key: 'up', header: 'Updated', render: (c) => fmtTime(c.updated_at) },
        { key: 'act', header: 'Actions', render: (c) => (
          <span className="row-actions">
            {kind === 'issuers' && canWrite && (
              <button type="button" onClick={async () => {
                try {
                  const r = await client.post<TestResult>(`${path(c)}/test`);
                  setTests({ ...tests, [c.id]: r });
                } catch (e) {
                  setTests({ ...tests, [c.id]: e instanceof Error ? e.message : String(e) });
                }
              }}>Test</button>
            )}
            {canWrite && <button type="button" onClick={() => void toggle(c)}>{c.enabled ? 'Disable' : 'Enable'}</button>}
            {canWrite && <ConfirmButton label="Delete" danger question={`Delete ${c.name}?`} onConfirm={async () => { await client.del(path(c)); await qc.invalidateQueries({ queryKey: [kind] }); }} />}
            {tests[c.id] !== undefined && (
              <span role="status" className={typeof tests[c.id] === 'string' || !(tests[c.id] as TestResult).ok ? 'error-text' : 'ok-text'}>
                {typeof tests[c.id] === 'string' ? (tests[c.id] as string) : `${(tests[c.id] as TestResult).ok ? 'OK' : 'Failed'}: ${(tests[c.id] as TestResult).message}`}
              </span>
            )}
          </span>
        ) },
      ]} />
      <Dialog title={`New ${kind === 'issuers' ? 'issuer' : 'target'}`} open={creating} onClose={() => setCreating(false)}>
        <ConnectorForm kind={kind} onDone={() => setCreating(false)} />
      </Dialog>
    </section>
  );
}

function ConnectorForm({ kind, onDone }: { kind: Kind; onDone: () => void }) {
  const client = useClient();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const [type, setType] = useState(kind === 'issuers' ? 'local' : 'file');
  const [agent, setAgent] = useState('');
  const [config, setConfig] = useState('{}');
  const [errs, setErrs] = useState<FormErrors>({ fields: {}, general: [], policy: [] });
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    let cfg: unknown;
    try {
      cfg = JSON.parse(config);
    } catch {
      setErrs({ fields: { config: 'Config must be a JSON object.' }, general: [], policy: [] });
      return;
    }
    const body: ConnectorInput = { name: name.trim() || null, type: type.trim() || null, config: cfg, ...(kind === 'targets' ? { agent_id: agent.trim() || null } : {}) };
    try {
      await client.post(`/${kind}`, body);
      await qc.invalidateQueries({ queryKey: [kind] });
      onDone();
    } catch (err) {
      setErrs(formErrors(err, ['name', 'type', 'config', 'agent_id']));
    }
  };
  return (
    <form className="form" onSubmit={submit} noValidate>
      <Field label="Name" error={errs.fields.name}>{(id, db) => <input id={id} aria-describedby={db} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label="Type" error={errs.fields.type} hint={kind === 'issuers' ? 'local, acme, …' : 'file, nginx, …'}>{(id, db) => <input id={id} aria-describedby={db} value={type} onChange={(e) => setType(e.target.value)} />}</Field>
      {kind === 'targets' && <Field label="Agent id" error={errs.fields.agent_id}>{(id, db) => <input id={id} aria-describedby={db} value={agent} onChange={(e) => setAgent(e.target.value)} />}</Field>}
      <Field label="Config (JSON)" error={errs.fields.config}>{(id, db) => <textarea id={id} aria-describedby={db} rows={5} value={config} onChange={(e) => setConfig(e.target.value)} />}</Field>
      {errs.general.map((g) => <div key={g} className="error-note" role="alert">{g}</div>)}
      <div className="actions">
        <button type="button" onClick={onDone}>Cancel</button>
        <button type="submit" className="primary">Create</button>
      </div>
    </form>
  );
}
