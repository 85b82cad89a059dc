// Fleet: agents with their metadata, status and last heartbeat; one agent's detail and groups.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Agent, AgentView } from '../api/types';
import { AGENT_STATUSES } from '../api/types';
import { Link, setSearch, useLocation } from '../app/router';
import { useClient, useSession } from '../app/session';
import { Badge, ConfirmButton, ErrorNote, Field, PageHead, Pager, Table, fmtTime, pairsText, type Column } from '../app/ui';

export const agentColumns: Column<Agent>[] = [
  { key: 'name', header: 'Agent', render: (a) => <Link to={`/fleet/${encodeURIComponent(a.id)}`}>{a.name}</Link> },
  { key: 'status', header: 'Status', width: '8rem', render: (a) => <Badge value={a.status} /> },
  { key: 'host', header: 'Hostname', render: (a) => a.hostname || '—' },
  { key: 'os', header: 'OS / arch', render: (a) => (a.os ? `${a.os} ${a.os_version} / ${a.arch}` : '—') },
  { key: 'ver', header: 'Version', width: '7rem', render: (a) => a.agent_version || '—' },
  { key: 'ip', header: 'Addresses', render: (a) => a.ip_addresses.join(', ') || '—' },
  { key: 'hb', header: 'Last heartbeat', width: '11rem', render: (a) => fmtTime(a.last_heartbeat_at) },
];

export function FleetView() {
  const client = useClient();
  const { search } = useLocation();
  const status = search.get('status') ?? '';
  const os = search.get('os') ?? '';
  const arch = search.get('arch') ?? '';
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const q = { status: status || undefined, os: os || undefined, arch: arch || undefined, page, per_page: 50 };
  const agents = useQuery({ queryKey: ['agents', 'list', q], queryFn: () => client.list<Agent>('/agents', q), placeholderData: keepPreviousData });
  const set = (c: Record<string, string>) => setSearch({ status, os, arch, ...c });
  return (
    <section>
      <PageHead title="Fleet" />
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => set({ status: e.target.value })}>
              <option value="">Any</option>
              {AGENT_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="OS">{(id) => <input id={id} value={os} onChange={(e) => set({ os: e.target.value })} />}</Field>
        <Field label="Arch">{(id) => <input id={id} value={arch} onChange={(e) => set({ arch: e.target.value })} />}</Field>
      </form>
      <ErrorNote error={agents.error} />
      <Table label="Agents" rows={agents.data?.data} columns={agentColumns} rowKey={(a) => a.id} loading={agents.isLoading} empty="No agents have registered." />
      <Pager page={page} perPage={50} total={agents.data?.total} onPage={(p) => set({ page: String(p) })} />
    </section>
  );
}

export function AgentDetail({ id }: { id: string }) {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const path = `/agents/${encodeURIComponent(id)}`;
  const a = useQuery({ queryKey: ['agents', id], queryFn: () => client.get<AgentView>(path) });
  if (a.error) return <ErrorNote error={a.error} />;
  const v = a.data;
  return (
    <section>
      <p className="crumbs">
        <Link to="/fleet">Fleet</Link> / {id}
      </p>
      <PageHead title={v?.name ?? id}>
        {canWrite && v && v.status === 'Pending' && (
          <ConfirmButton label="Approve" question={`Approve ${v.name}? It registered itself from ${v.observed_ip ?? 'an unknown address'} as ${v.hostname || 'an unknown host'}; once approved it joins its groups and gets work.`} onConfirm={async () => { await client.post(`${path}/approve`); await qc.invalidateQueries({ queryKey: ['agents'] }); }} />
        )}
        {canWrite && v && v.status !== 'Retired' && (
          <ConfirmButton label="Retire" danger question={`Retire ${v.name}? Its keys are revoked and it gets no more work.`} onConfirm={async () => { await client.post(`${path}/retire`); await qc.invalidateQueries({ queryKey: ['agents'] }); }} />
        )}
      </PageHead>
      <dl className="facts">
        <dt>Status</dt>
        <dd>{v ? <Badge value={v.status} /> : '…'}</dd>
        <dt>Hostname</dt>
        <dd>{v?.hostname || '—'}</dd>
        <dt>OS</dt>
        <dd>{v ? `${v.os} ${v.os_version}` : '…'}</dd>
        <dt>Arch</dt>
        <dd>{v?.arch || '—'}</dd>
        <dt>Agent version</dt>
        <dd>{v?.agent_version || '—'}</dd>
        <dt>Addresses</dt>
        <dd>{v?.ip_addresses.join(', ') || '—'}</dd>
        <dt>Seen from</dt>
        <dd>{v?.observed_ip || '—'}</dd>
        <dt>Labels (operator)</dt>
        <dd>{pairsText(v?.labels) || '—'}</dd>
        <dt>Labels (reported)</dt>
        <dd>{pairsText(v?.reported_labels) || '—'}</dd>
        <dt>Last heartbeat</dt>
        <dd>{fmtTime(v?.last_heartbeat_at)}</dd>
        <dt>Groups</dt>
        <dd>{v ? v.groups.map((g) => <Link key={g} to={`/groups?id=${encodeURIComponent(g)}`}>{g}</Link>).reduce<React.ReactNode[]>((acc, x, i) => (i ? [...acc, ', ', x] : [x]), []) : '…'}{v && v.groups.length === 0 ? 'none' : ''}</dd>
      </dl>
    </section>
  );
}
