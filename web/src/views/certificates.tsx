// Certificates: the server-side paginated table (filters, search, sort) and the create dialog.
import { useEffect, useMemo, useState } from 'react';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { formErrors, type FormErrors } from '../api/client';
import type { Certificate, CertificateInput, Issuer, RenewalPolicy } from '../api/types';
import { CERTIFICATE_STATUSES } from '../api/types';
import { Link, navigate, setSearch, useLocation } from '../app/router';
import { useClient, useSession } from '../app/session';
import { Badge, Dialog, ErrorNote, Field, PageHead, Pager, Table, fmtTime, parsePairs, relDays, splitList, type Column } from '../app/ui';
import { filtersFromSearch, filtersToQuery, filtersToSearch, nextSort, PER_PAGE, withFilter, type CertFilters } from './filters';

export function CertificatesView() {
  const { search } = useLocation();
  const f = filtersFromSearch(search);
  const client = useClient();
  const { canWrite } = useSession();
  const [creating, setCreating] = useState(false);
  const [q, setQ] = useState(f.q);
  const set = (change: Partial<CertFilters>) => setSearch(filtersToSearch(withFilter(f, change)));
  useEffect(() => {
    if (q === f.q) return;
    const t = setTimeout(() => set({ q }), 250);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [q]);
  const now = useMemo(() => new Date(), [f.expiring_days]); // eslint-disable-line react-hooks/exhaustive-deps
  const query = filtersToQuery(f, now);
  const list = useQuery({ queryKey: ['certificates', 'list', query], queryFn: ({ signal }) => client.list<Certificate>('/certificates', query, signal), placeholderData: keepPreviousData });
  const issuers = useQuery({ queryKey: ['issuers', 'all'], queryFn: () => client.list<Issuer>('/issuers', { per_page: 500 }) });

  const columns: Column<Certificate>[] = [
    { key: 'name', header: 'Name', sortKey: 'name', render: (c) => <Link to={`/certificates/${encodeURIComponent(c.id)}`}>{c.name}</Link> },
    { key: 'cn', header: 'Common name', sortKey: 'common_name', render: (c) => c.common_name },
    { key: 'status', header: 'Status', sortKey: 'status', width: '10rem', render: (c) => <Badge value={c.status} /> },
    { key: 'env', header: 'Environment', width: '8rem', render: (c) => c.environment ?? '—' },
    { key: 'issuer', header: 'Issuer', width: '9rem', render: (c) => c.issuer_id },
    { key: 'exp', header: 'Expires', sortKey: 'expires_at', width: '11rem', render: (c) => <span title={fmtTime(c.expires_at)}>{relDays(c.expires_at)}</span> },
  ];

  return (
    <section>
      <PageHead title="Certificates">
        {canWrite && (
          <button type="button" className="primary" onClick={() => setCreating(true)}>
            New certificate
          </button>
        )}
      </PageHead>
      <form className="filters" role="search" onSubmit={(e) => e.preventDefault()}>
        <Field label="Search">{(id) => <input id={id} type="search" value={q} placeholder="name, common name or SAN" onChange={(e) => setQ(e.target.value)} />}</Field>
        <Field label="Status">
          {(id) => (
            <select id={id} value={f.status} onChange={(e) => set({ status: e.target.value })}>
              <option value="">Any (not archived)</option>
              {CERTIFICATE_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Environment">{(id) => <input id={id} value={f.environment} onChange={(e) => set({ environment: e.target.value })} />}</Field>
        <Field label="Issuer">
          {(id) => (
            <select id={id} value={f.issuer_id} onChange={(e) => set({ issuer_id: e.target.value })}>
              <option value="">Any</option>
              {issuers.data?.data.map((i) => (
                <option key={i.id} value={i.id}>
                  {i.name}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Expires within">
          {(id) => (
            <select id={id} value={f.expiring_days} onChange={(e) => set({ expiring_days: e.target.value })}>
              <option value="">Any time</option>
              <option value="7">7 days</option>
              <option value="30">30 days</option>
              <option value="90">90 days</option>
            </select>
          )}
        </Field>
      </form>
      <ErrorNote error={list.error} />
      <Table label="Certificates" rows={list.data?.data} columns={columns} rowKey={(c) => c.id} loading={list.isLoading} sort={f.sort} onSort={(k) => set({ sort: nextSort(f.sort, k) })} placeholderRows={PER_PAGE} empty="No certificate matches these filters." />
      <Pager page={f.page} perPage={PER_PAGE} total={list.data?.total} onPage={(page) => set({ page })} />
      <Dialog title="New certificate" open={creating} onClose={() => setCreating(false)}>
        <CreateCertificateForm onDone={(c) => { setCreating(false); if (c) navigate(`/certificates/${encodeURIComponent(c.id)}`); }} />
      </Dialog>
    </section>
  );
}

const CERT_FIELDS = ['name', 'common_name', 'sans', 'environment', 'issuer_id', 'renewal_policy_id', 'tags', 'owner_id', 'team_id', 'target_ids', 'id'];

export interface CertDraft {
  name: string;
  common_name: string;
  sans: string;
  environment: string;
  issuer_id: string;
  renewal_policy_id: string;
  tags: string;
}

/// The request body from the form, or the field errors that stop it being sent.
export function certificateInput(d: CertDraft): { input?: CertificateInput; errors: Record<string, string> } {
  const errors: Record<string, string> = {};
  if (!d.common_name.trim()) errors.common_name = 'A common name is required.';
  const tags = parsePairs(d.tags);
  if (tags.error) errors.tags = tags.error;
  if (Object.keys(errors).length) return { errors };
  const input: CertificateInput = {
    common_name: d.common_name.trim(),
    name: d.name.trim() || null,
    sans: splitList(d.sans),
    environment: d.environment.trim() || null,
    issuer_id: d.issuer_id || null,
    renewal_policy_id: d.renewal_policy_id || null,
    tags: tags.value,
  };
  return { input, errors };
}

export function CreateCertificateForm({ onDone }: { onDone: (c: Certificate | null) => void }) {
  const client = useClient();
  const qc = useQueryClient();
  const [d, setD] = useState<CertDraft>({ name: '', common_name: '', sans: '', environment: '', issuer_id: '', renewal_policy_id: '', tags: '' });
  const [errs, setErrs] = useState<FormErrors>({ fields: {}, general: [], policy: [] });
  const [busy, setBusy] = useState(false);
  const issuers = useQuery({ queryKey: ['issuers', 'all'], queryFn: () => client.list<Issuer>('/issuers', { per_page: 500 }) });
  const rps = useQuery({ queryKey: ['org', 'renewal-policies'], queryFn: () => client.list<RenewalPolicy>('/renewal-policies', { per_page: 500 }) });
  const upd = (k: keyof CertDraft) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>) => setD({ ...d, [k]: e.target.value });
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    const { input, errors } = certificateInput(d);
    if (!input) {
      setErrs({ fields: errors, general: [], policy: [] });
      return;
    }
    setBusy(true);
    try {
      const c = await client.post<Certificate>('/certificates', input);
      void qc.invalidateQueries({ queryKey: ['certificates'] });
      onDone(c);
    } catch (err) {
      setErrs(formErrors(err, CERT_FIELDS));
    } finally {
      setBusy(false);
    }
  };
  return (
    <form onSubmit={submit} noValidate className="form">
      <Field label="Common name" error={errs.fields.common_name}>{(id, db) => <input id={id} aria-describedby={db} aria-invalid={!!errs.fields.common_name} value={d.common_name} onChange={upd('common_name')} required autoFocus />}</Field>
      <Field label="Name" hint="Defaults to the common name." error={errs.fields.name}>{(id, db) => <input id={id} aria-describedby={db} value={d.name} onChange={upd('name')} />}</Field>
      <Field label="SANs" hint="Comma or newline separated." error={errs.fields.sans}>{(id, db) => <textarea id={id} aria-describedby={db} rows={2} value={d.sans} onChange={upd('sans')} />}</Field>
      <Field label="Environment" error={errs.fields.environment}>{(id, db) => <input id={id} aria-describedby={db} value={d.environment} onChange={upd('environment')} />}</Field>
      <Field label="Issuer" error={errs.fields.issuer_id}>
        {(id, db) => (
          <select id={id} aria-describedby={db} value={d.issuer_id} onChange={upd('issuer_id')}>
            <option value="">Default</option>
            {issuers.data?.data.map((i) => (
              <option key={i.id} value={i.id}>
                {i.name} ({i.type})
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Renewal policy" error={errs.fields.renewal_policy_id}>
        {(id, db) => (
          <select id={id} aria-describedby={db} value={d.renewal_policy_id} onChange={upd('renewal_policy_id')}>
            <option value="">Default</option>
            {rps.data?.data.map((r) => (
              <option key={r.id} value={r.id}>
                {r.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Tags" hint="key=value, comma separated." error={errs.fields.tags}>{(id, db) => <input id={id} aria-describedby={db} value={d.tags} onChange={upd('tags')} />}</Field>
      {errs.policy.length > 0 && (
        <div className="error-note" role="alert">
          <strong>Rejected by policy:</strong>
          <ul className="policy-reasons">
            {errs.policy.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
        </div>
      )}
      {errs.general.map((g) => (
        <div key={g} className="error-note" role="alert">
          {g}
        </div>
      ))}
      <div className="actions">
        <button type="button" onClick={() => onDone(null)}>
          Cancel
        </button>
        <button type="submit" className="primary" disabled={busy}>
          Create
        </button>
      </div>
    </form>
  );
}
