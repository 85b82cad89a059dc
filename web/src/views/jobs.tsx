// Jobs: filter by status and type, retry failed ones, cancel open ones, read their errors.
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import type { Job } from '../api/types';
import { JOB_STATUSES, JOB_TYPES } from '../api/types';
import { setSearch, useLocation } from '../app/router';
import { useClient, useSession } from '../app/session';
import { ConfirmButton, ErrorNote, Field, PageHead, Pager } from '../app/ui';
import { JobsTable } from './certificate-detail';

const OPEN: string[] = ['Pending', 'AwaitingCSR', 'Running'];

export function JobsView() {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const { search } = useLocation();
  const status = search.get('status') ?? '';
  const type = search.get('type') ?? '';
  const page = Math.max(1, Number(search.get('page') ?? '1') || 1);
  const q = { status: status || undefined, type: type || undefined, page, per_page: 50 };
  const jobs = useQuery({ queryKey: ['jobs', 'list', q], queryFn: () => client.list<Job>('/jobs', q), placeholderData: keepPreviousData });
  const act = async (j: Job, what: 'retry' | 'cancel') => {
    await client.post(`/jobs/${encodeURIComponent(j.id)}/${what}`);
    await qc.invalidateQueries({ queryKey: ['jobs'] });
  };
  return (
    <section>
      <PageHead title="Jobs" />
      <form className="filters" onSubmit={(e) => e.preventDefault()}>
        <Field label="Status">
          {(id) => (
            <select id={id} value={status} onChange={(e) => setSearch({ status: e.target.value, type })}>
              <option value="">Any</option>
              {JOB_STATUSES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
        <Field label="Type">
          {(id) => (
            <select id={id} value={type} onChange={(e) => setSearch({ status, type: e.target.value })}>
              <option value="">Any</option>
              {JOB_TYPES.map((s) => (
                <option key={s}>{s}</option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <ErrorNote error={jobs.error} />
      <JobsTable
        jobs={jobs.data?.data}
        loading={jobs.isLoading}
        actions={
          canWrite
            ? (j) => (
                <>
                  {(j.status === 'Failed' || j.status === 'Cancelled') && <ConfirmButton label="Retry" question={`Retry job ${j.id}?`} onConfirm={() => act(j, 'retry')} />}
                  {OPEN.includes(j.status) && <ConfirmButton label="Cancel" danger question={`Cancel job ${j.id}?`} onConfirm={() => act(j, 'cancel')} />}
                </>
              )
            : undefined
        }
      />
      <Pager page={page} perPage={50} total={jobs.data?.total} onPage={(p) => setSearch({ status, type, page: String(p) })} />
    </section>
  );
}
