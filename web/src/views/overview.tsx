// Overview: certificates by status, expiries over the next 90 days (a hand-drawn SVG bar chart),
// agents by status and by OS/arch, failed jobs and open violations.
import { useMemo } from 'react';
import { useQueries, useQuery } from '@tanstack/react-query';
import type { Agent, Job, PolicyRule, PolicyViolation, Summary } from '../api/types';
import { CERTIFICATE_STATUSES, AGENT_STATUSES } from '../api/types';
import { Link } from '../app/router';
import { useClient } from '../app/session';
import { ErrorNote, PageHead } from '../app/ui';
import { JobsTable } from './certificate-detail';

const WEEKS = 13;

/// Week boundaries from `now` (13 weeks ≈ 90 days).
export function weekBounds(now: Date, weeks = WEEKS): [Date, Date][] {
  return Array.from({ length: weeks }, (_, i) => [new Date(now.getTime() + i * 7 * 86400000), new Date(now.getTime() + (i + 1) * 7 * 86400000)]);
}

export function ExpiryChart({ counts, labels }: { counts: (number | undefined)[]; labels: string[] }) {
  const max = Math.max(1, ...counts.map((c) => c ?? 0));
  const w = 560;
  const h = 160;
  const bw = w / counts.length;
  return (
    <svg className="chart" viewBox={`0 -16 ${w} ${h + 50}`} role="img" aria-label={`Certificates expiring per week, next ${counts.length} weeks: ${counts.map((c) => c ?? '…').join(', ')}`}>
      {counts.map((c, i) => {
        const bh = c === undefined ? 0 : Math.round((c / max) * h);
        return (
          <g key={i}>
            <rect x={i * bw + 4} y={h - bh} width={bw - 8} height={bh} className="bar" />
            <text x={i * bw + bw / 2} y={h - bh - 4} textAnchor="middle" className="bar-value">
              {c ?? ''}
            </text>
            <text x={i * bw + bw / 2} y={h + 16} textAnchor="middle" className="bar-label">
              {labels[i]}
            </text>
          </g>
        );
      })}
      <line x1="0" y1={h} x2={w} y2={h} className="axis" />
    </svg>
  );
}

function Counts({ title, counts, link }: { title: string; counts: [string, number][]; link?: (k: string) => string }) {
  return (
    <div className="card">
      <h2>{title}</h2>
      <ul className="counts">
        {counts.map(([k, n]) => (
          <li key={k}>
            <span className={`dot dot-${k.toLowerCase()}`} aria-hidden="true" />
            {link ? <Link to={link(k)}>{k}</Link> : k}
            <strong>{n}</strong>
          </li>
        ))}
      </ul>
    </div>
  );
}

export function Overview() {
  const client = useClient();
  const summary = useQuery({ queryKey: ['summary'], queryFn: () => client.get<Summary>('/summary') });
  const now = useMemo(() => new Date(), []);
  const weeks = weekBounds(now);
  const expiring = useQueries({
    queries: weeks.map(([a, b]) => ({
      queryKey: ['certificates', 'expiring-week', a.toISOString()],
      queryFn: () => client.list('/certificates', { expires_after: a.toISOString(), expires_before: b.toISOString(), per_page: 1 }),
    })),
  });
  const agents = useQuery({ queryKey: ['agents', 'overview'], queryFn: () => client.list<Agent>('/agents', { per_page: 1000 }) });
  const failed = useQuery({ queryKey: ['jobs', 'failed'], queryFn: () => client.list<Job>('/jobs', { status: 'Failed', per_page: 10 }) });
  const policies = useQuery({ queryKey: ['policies', 'all'], queryFn: () => client.list<PolicyRule>('/policies', { per_page: 500 }) });
  const violations = useQueries({
    queries: (policies.data?.data ?? []).map((p) => ({
      queryKey: ['violations', p.id, 'open-count'],
      queryFn: () => client.list<PolicyViolation>(`/policies/${encodeURIComponent(p.id)}/violations`, { open: true, per_page: 1 }),
    })),
  });
  const s = summary.data;
  const byPlatform = new Map<string, number>();
  agents.data?.data.forEach((a) => byPlatform.set(`${a.os}/${a.arch}`, (byPlatform.get(`${a.os}/${a.arch}`) ?? 0) + 1));
  const openViolations = violations.every((v) => v.data) ? violations.reduce((n, v) => n + (v.data?.total ?? 0), 0) : undefined;
  return (
    <section>
      <PageHead title="Overview" />
      <ErrorNote error={summary.error} />
      <div className="cards">
        <Counts title="Certificates by status" counts={CERTIFICATE_STATUSES.filter((st) => st !== 'Archived').map((st) => [st, s?.certificates_by_status[st] ?? 0])} link={(k) => `/certificates?status=${k}`} />
        <Counts title="Agents by status" counts={AGENT_STATUSES.map((st) => [st, s?.agents_by_status[st] ?? 0])} />
        <div className="card">
          <h2>Agents by OS / arch</h2>
          <ul className="counts">
            {[...byPlatform.entries()].sort().map(([k, n]) => (
              <li key={k}>
                {k}
                <strong>{n}</strong>
              </li>
            ))}
            {agents.data && byPlatform.size === 0 && <li>No agents.</li>}
          </ul>
          {agents.data && agents.data.total > agents.data.data.length && <small>First {agents.data.data.length} of {agents.data.total} agents.</small>}
        </div>
        <div className="card">
          <h2>Attention</h2>
          <ul className="counts">
            <li>
              <Link to="/certificates?expiring_days=7">Expiring within 7 days</Link>
              <strong>{s?.expiring_within_7_days ?? '…'}</strong>
            </li>
            <li>
              <Link to="/certificates?expiring_days=30">Expiring within 30 days</Link>
              <strong>{s?.expiring_within_30_days ?? '…'}</strong>
            </li>
            <li>
              <Link to="/jobs?status=Failed">Failed jobs</Link>
              <strong>{s?.failed_jobs ?? '…'}</strong>
            </li>
            <li>
              <Link to="/policies">Open policy violations</Link>
              <strong>{openViolations ?? '…'}</strong>
            </li>
          </ul>
        </div>
      </div>
      <div className="card wide">
        <h2>Expiring in the next 90 days, per week</h2>
        <ExpiryChart counts={expiring.map((q) => q.data?.total)} labels={weeks.map(([a]) => `${a.getUTCMonth() + 1}/${a.getUTCDate()}`)} />
      </div>
      <h2>Recent failed jobs</h2>
      <JobsTable jobs={failed.data?.data} loading={failed.isLoading} />
    </section>
  );
}
