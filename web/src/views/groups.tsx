// Agent groups: the list, the members of one, and the criteria editor that previews the matching
// agents (POST /agent-groups/preview) before anything is saved.
import { useEffect, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { formErrors } from '../api/client';
import type { Agent, AgentGroup, GroupInput, Page } from '../api/types';
import { setSearch, useLocation } from '../app/router';
import { useClient, useSession } from '../app/session';
import { ConfirmButton, ErrorNote, Field, PageHead, Table } from '../app/ui';
import { criteriaFrom, draftFrom, EMPTY_CRITERIA, type CriteriaDraft } from './criteria';
import { agentColumns } from './fleet';

const CRITERIA_FIELDS: [keyof CriteriaDraft, string, string][] = [
  ['os', 'OS', 'any of, e.g. linux, windows'],
  ['arch', 'Arch', 'any of, e.g. x86_64, aarch64'],
  ['hostname', 'Hostname globs', 'e.g. web-*.example.com'],
  ['cidr', 'Networks', 'e.g. 10.0.0.0/8, 2001:db8::/32'],
  ['labels', 'Labels', 'key=value, all must match'],
  ['agent_version', 'Agent version', 'semver requirement, e.g. >=1.2'],
  ['include', 'Always include', 'agent ids'],
  ['exclude', 'Always exclude', 'agent ids; wins over everything'],
];

export function GroupsView() {
  const client = useClient();
  const { canWrite } = useSession();
  const { search } = useLocation();
  const selected = search.get('id') ?? '';
  const groups = useQuery({ queryKey: ['groups', 'all'], queryFn: () => client.list<AgentGroup>('/agent-groups', { per_page: 500 }) });
  const group = groups.data?.data.find((g) => g.id === selected);
  const editing = search.get('edit') === '1' || selected === 'new';
  return (
    <section>
      <PageHead title="Groups">
        {canWrite && (
          <button type="button" className="primary" onClick={() => setSearch({ id: 'new' })}>
            New group
          </button>
        )}
      </PageHead>
      <ErrorNote error={groups.error} />
      <div className="split">
        <nav aria-label="Groups" className="list-nav">
          <ul>
            {groups.data?.data.map((g) => (
              <li key={g.id}>
                <button type="button" className={g.id === selected ? 'current' : 'ghost'} aria-current={g.id === selected ? 'true' : undefined} onClick={() => setSearch({ id: g.id })}>
                  {g.name}
                </button>
              </li>
            ))}
            {groups.data?.data.length === 0 && <li>No groups yet.</li>}
          </ul>
        </nav>
        <div className="split-main">
          {editing && canWrite ? (
            <GroupEditor key={selected} group={group} onDone={(id) => setSearch({ id })} />
          ) : group ? (
            <GroupMembers group={group} />
          ) : (
            <p>Select a group to see its members.</p>
          )}
        </div>
      </div>
    </section>
  );
}

function GroupMembers({ group }: { group: AgentGroup }) {
  const client = useClient();
  const qc = useQueryClient();
  const { canWrite } = useSession();
  const members = useQuery({ queryKey: ['groups', group.id, 'members'], queryFn: () => client.list<Agent>(`/agent-groups/${encodeURIComponent(group.id)}/members`, { per_page: 200 }) });
  return (
    <>
      <div className="page-head">
        <h2>{group.name}</h2>
        {canWrite && (
          <div className="page-actions">
            <button type="button" onClick={() => setSearch({ id: group.id, edit: '1' })}>
              Edit criteria
            </button>
            <ConfirmButton label="Delete" danger question={`Delete group ${group.name}? Agents stay; they leave the group.`} onConfirm={async () => { await client.del(`/agent-groups/${encodeURIComponent(group.id)}`); await qc.invalidateQueries({ queryKey: ['groups'] }); setSearch({}); }} />
          </div>
        )}
      </div>
      {group.description && <p>{group.description}</p>}
      <p className="muted">Members now ({members.data?.total ?? '…'}), criteria evaluated live:</p>
      <ErrorNote error={members.error} />
      <Table label="Group members" rows={members.data?.data} columns={agentColumns} rowKey={(a) => a.id} loading={members.isLoading} empty="No agent matches these criteria." />
    </>
  );
}

/// Edits a group's criteria (or a new group's) with a live preview of the agents they select.
export function GroupEditor({ group, onDone }: { group?: AgentGroup; onDone: (id: string) => void }) {
  const client = useClient();
  const qc = useQueryClient();
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const [draft, setDraft] = useState<CriteriaDraft>(group ? draftFrom(group.criteria) : EMPTY_CRITERIA);
  const [fieldErrors, setFieldErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState<string[]>([]);
  const [preview, setPreview] = useState<Page<Agent> | null>(null);
  const [previewing, setPreviewing] = useState(false);

  const runPreview = async (d: CriteriaDraft) => {
    const { criteria, error } = criteriaFrom(d);
    if (!criteria) {
      setFieldErrors(error ? { [error.field]: error.message } : {});
      return;
    }
    setPreviewing(true);
    try {
      setPreview(await client.post<Page<Agent>>('/agent-groups/preview', { criteria }, { per_page: 100 }));
      setFieldErrors({});
      setGeneral([]);
    } catch (e) {
      const fe = formErrors(e, Object.keys(EMPTY_CRITERIA));
      setFieldErrors(fe.fields);
      setGeneral(fe.general);
      setPreview(null);
    } finally {
      setPreviewing(false);
    }
  };
  useEffect(() => {
    const t = setTimeout(() => void runPreview(draft), 300);
    return () => clearTimeout(t);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [draft]);

  const save = async (e: React.FormEvent) => {
    e.preventDefault();
    const { criteria, error } = criteriaFrom(draft);
    if (!criteria) {
      setFieldErrors(error ? { [error.field]: error.message } : {});
      return;
    }
    if (!name.trim()) {
      setFieldErrors({ name: 'A name is required.' });
      return;
    }
    const body: GroupInput = { name: name.trim(), description, criteria };
    try {
      const g = group ? await client.put<AgentGroup>(`/agent-groups/${encodeURIComponent(group.id)}`, body) : await client.post<AgentGroup>('/agent-groups', body);
      await qc.invalidateQueries({ queryKey: ['groups'] });
      onDone(g.id);
    } catch (err) {
      const fe = formErrors(err, ['name', 'description', ...Object.keys(EMPTY_CRITERIA)]);
      setFieldErrors(fe.fields);
      setGeneral(fe.general);
    }
  };

  return (
    <form className="form criteria-editor" onSubmit={save} noValidate aria-label="Group criteria">
      <h2>{group ? `Edit ${group.name}` : 'New group'}</h2>
      <Field label="Name" error={fieldErrors.name}>{(id, db) => <input id={id} aria-describedby={db} value={name} onChange={(e) => setName(e.target.value)} />}</Field>
      <Field label="Description">{(id) => <input id={id} value={description} onChange={(e) => setDescription(e.target.value)} />}</Field>
      <fieldset>
        <legend>Criteria (all set fields must match; lists are any-of)</legend>
        <div className="grid2">
          {CRITERIA_FIELDS.map(([k, label, hint]) => (
            <Field key={k} label={label} hint={hint} error={fieldErrors[k]}>
              {(id, db) => <input id={id} aria-describedby={db} aria-invalid={!!fieldErrors[k]} value={draft[k]} onChange={(e) => setDraft({ ...draft, [k]: e.target.value })} />}
            </Field>
          ))}
        </div>
      </fieldset>
      {general.map((g) => (
        <div key={g} className="error-note" role="alert">
          {g}
        </div>
      ))}
      <h3 aria-live="polite">{previewing && !preview ? 'Previewing…' : preview ? `Preview: ${preview.total} matching agent${preview.total === 1 ? '' : 's'}` : 'Preview'}</h3>
      <Table label="Preview of matching agents" rows={preview?.data} columns={agentColumns} rowKey={(a) => a.id} loading={!preview} placeholderRows={3} empty="No agent matches these criteria." />
      <div className="actions">
        <button type="button" onClick={() => onDone(group?.id ?? '')}>
          Cancel
        </button>
        <button type="submit" className="primary">
          Save group
        </button>
      </div>
    </form>
  );
}
