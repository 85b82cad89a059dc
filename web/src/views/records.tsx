// Notifications (inbox with mark-as-read; channels where the server has them) and the audit
// trail (filters and the hash-chain verification).
import { useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { ApiError } from '../api/client';
import type { AuditEvent, ChainReport, Notification, Page, TestResult } from '../api/types';
import { Link, setSearch, useLocation } from '../app/router';
import { useClient, useSession } from '../app/session';
import { Badge, ErrorNote, Field, PageHead, Pager, Table, fmtTime } from '../app/ui';
import { AuditTable } from './certificate-detail';

export function NotificationsView() {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const { search } = useLocation();
  const unread = search.get('unread') === '1';
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const q = { unread: unread || undefined, page, per_page: 50 };
  const list = useQuery({ queryKey: ['notifications', 'list', q], queryFn: () => client.list<Notification>('/notifications', q), placeholderData: keepPreviousData });
  const [error, setError] = useState<unknown>(null);
  return (
    <section>
      <PageHead title="Notifications" />
      <label className="switch">
        <input type="checkbox" checked={unread} onChange={(e) => setSearch({ unread: e.target.checked ? '1' : undefined })} /> Unread only
      </label>
      <ErrorNote error={list.error ?? error} />
      <Table label="Notifications" rows={list.data?.data} loading={list.isLoading} rowKey={(n) => n.id} empty="No notifications." columns={[
        { key: 'at', header: 'Time', width: '11rem', render: (n) => fmtTime(n.created_at) },
        { key: 'type', header: 'Type', render: (n) => n.type },
        { key: 'msg', header: 'Message', render: (n) => <span className={n.read_at ? 'muted' : 'unread'}>{n.message}</span> },
        { key: 'cert', header: 'Certificate', render: (n) => (n.certificate_id ? <Link to={`/certificates/${encodeURIComponent(n.certificate_id)}`}>{n.certificate_id}</Link> : '—') },
        { key: 'ch', header: 'Channel', render: (n) => `${n.channel} → ${n.recipient}` },
        { key: 'st', header: 'Status', render: (n) => <Badge value={n.status} /> },
        { key: 'read', header: 'Read', render: (n) => n.read_at ? fmtTime(n.read_at) : canWrite ? (
          <button type="button" onClick={async () => {
            setError(null);
            try {
              await client.post(`/notifications/${encodeURIComponent(n.id)}/read`);
              await qc.invalidateQueries({ queryKey: ['notifications'] });
            } catch (e) {
              setError(e);
            }
          }}>Mark as read</button>
        ) : 'unread' },
      ]} />
      <Pager page={page} perPage={50} total={list.data?.total} onPage={(p) => setSearch({ unread: unread ? '1' : undefined, page: String(p) })} />
      <Channels />
    </section>
  );
}

interface Channel {
  id: string;
  name: string;
  type: string;
  config: unknown;
  enabled: boolean;
}

/// Notification channels (`/api/v1/notification-channels`), shown only when the server has that
/// endpoint: a 404 says the server does not offer channels yet.
function Channels() {
  const client = useClient();
  const { canWrite } = useSession();
  const list = useQuery({ queryKey: ['notifications', 'channels'], queryFn: () => client.list<Channel>('/notification-channels', { per_page: 200 }), retry: false });
  const [tests, setTests] = useState<Record<string, string>>({});
  if (list.error instanceof ApiError && (list.error.status === 404 || list.error.status === 405)) {
    return <p className="muted">This server has no notification channels endpoint; notifications above are the in-app inbox.</p>;
  }
  return (
    <>
      <h2>Channels</h2>
      <ErrorNote error={list.error} />
      <Table label="Notification channels" rows={list.data?.data} loading={list.isLoading} rowKey={(c) => c.id} placeholderRows={2} empty="No channels configured." columns={[
        { key: 'name', header: 'Name', render: (c) => c.name },
        { key: 'type', header: 'Type', render: (c) => c.type },
        { key: 'en', header: 'Enabled', render: (c) => <Badge value={c.enabled ? 'Enabled' : 'Disabled'} /> },
        { key: 'cfg', header: 'Config', render: (c) => <code className="details">{JSON.stringify(c.config)}</code> },
        { key: 'test', header: 'Test', render: (c) => (
          <>
            {canWrite && <button type="button" onClick={async () => {
              try {
                const r = await client.post<TestResult | undefined>(`/notification-channels/${encodeURIComponent(c.id)}/test`);
                setTests({ ...tests, [c.id]: r && 'ok' in r ? `${r.ok ? 'OK' : 'Failed'}: ${r.message}` : 'Sent.' });
              } catch (e) {
                setTests({ ...tests, [c.id]: e instanceof Error ? e.message : String(e) });
              }
            }}>Send test</button>}{' '}
            {tests[c.id] && <span role="status">{tests[c.id]}</span>}
          </>
        ) },
      ]} />
    </>
  );
}

const AUDIT_FILTERS = ['actor', 'action', 'resource_type', 'resource_id', 'since', 'until'] as const;

export function AuditView() {
  const client = useClient();
  const { search } = useLocation();
  const f = Object.fromEntries(AUDIT_FILTERS.map((k) => [k, search.get(k) ?? ''])) as Record<(typeof AUDIT_FILTERS)[number], string>;
  const [draft, setDraft] = useState(f);
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const toIso = (v: string) => (v ? new Date(v).toISOString() : undefined);
  const q = { ...f, since: toIso(f.since), until: toIso(f.until), page, per_page: 50 };
  const list = useQuery({ queryKey: ['audit', 'list', q], queryFn: () => client.list<AuditEvent>('/audit', q) as Promise<Page<AuditEvent>>, placeholderData: keepPreviousData });
  const [report, setReport] = useState<ChainReport | null>(null);
  const [verifyError, setVerifyError] = useState<unknown>(null);
  const [verifying, setVerifying] = useState(false);
  return (
    <section>
      <PageHead title="Audit">
        <button type="button" disabled={verifying} onClick={async () => {
          setVerifying(true);
          setVerifyError(null);
          try {
            setReport(await client.get<ChainReport>('/audit/verify'));
          } catch (e) {
            setVerifyError(e);
          } finally {
            setVerifying(false);
          }
        }}>{verifying ? 'Verifying…' : 'Verify chain'}</button>
      </PageHead>
      <div aria-live="polite">
        {report && (
          <p className={report.valid ? 'ok-note' : 'error-note'} role="status">
            {report.valid ? `The audit chain is intact: ${report.checked} events checked.` : `The audit chain is BROKEN at event ${report.first_invalid_id ?? '?'} (${report.checked} checked).`}
          </p>
        )}
        <ErrorNote error={verifyError} />
      </div>
      <form className="filters" onSubmit={(e) => { e.preventDefault(); setSearch({ ...draft }); }}>
        {AUDIT_FILTERS.map((k) => (
          <Field key={k} label={k.replace('_', ' ')}>
            {(id) => <input id={id} type={k === 'since' || k === 'until' ? 'datetime-local' : 'text'} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />}
          </Field>
        ))}
        <div className="field">
          <span aria-hidden="true">&nbsp;</span>
          <button type="submit">Apply</button>
        </div>
      </form>
      <ErrorNote error={list.error} />
      <AuditTable events={list.data?.data} loading={list.isLoading} />
      <Pager page={page} perPage={50} total={list.data?.total} onPage={(p) => setSearch({ ...f, page: String(p) })} />
    </section>
  );
}
