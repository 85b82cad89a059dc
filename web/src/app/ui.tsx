// Shared pieces of every view: status badges, tables with a fixed skeleton (no layout shift when
// data arrives), pagination, dialogs, confirmation, error notes and form fields.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { ApiError } from '../api/client';

export function Badge({ value }: { value: string }) {
  return <span className={`badge badge-${value.toLowerCase()}`}>{value}</span>;
}

export function fmtTime(t: string | null | undefined): string {
  if (!t) return '—';
  const d = new Date(t);
  if (Number.isNaN(d.getTime())) return t;
  return d.toISOString().replace('T', ' ').slice(0, 16) + 'Z';
}

export function relDays(t: string | null | undefined, now = Date.now()): string {
  if (!t) return '—';
  // whole days left, rounded down: the CLI, the console and the summary count the same way
  const days = Math.floor((new Date(t).getTime() - now) / 86400000);
  if (days === 0) return 'today';
  return days > 0 ? `in ${days} d` : `${-days} d ago`;
}

/// An error said plainly: unreachable API, or the API's message.
export function ErrorNote({ error }: { error: unknown }) {
  if (!error) return null;
  const e = error instanceof ApiError ? error : null;
  const text = e?.unreachable ? `${e.message} Check that certctl-server is running.` : error instanceof Error ? error.message : String(error);
  return (
    <div className="error-note" role="alert">
      {text}
    </div>
  );
}

export interface Column<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
  sortKey?: string;
  width?: string;
}

/// A table that keeps its height while loading (placeholder rows) so nothing jumps.
export function Table<T>({
  rows,
  columns,
  rowKey,
  loading,
  placeholderRows = 10,
  sort,
  onSort,
  label,
  empty = 'Nothing here.',
  busy,
}: {
  rows: T[] | undefined;
  columns: Column<T>[];
  rowKey: (r: T) => string;
  loading?: boolean;
  placeholderRows?: number;
  sort?: string;
  onSort?: (key: string) => void;
  label: string;
  empty?: string;
  /// A refetch is under way (the rows shown are the previous ones).
  busy?: boolean;
}) {
  return (
    <div className="table-wrap">
      <table aria-label={label} aria-busy={loading || busy ? 'true' : 'false'}>
        <thead>
          <tr>
            {columns.map((c) => {
              const active = sort && c.sortKey && sort.replace(/^-/, '') === c.sortKey;
              const dir = active ? (sort!.startsWith('-') ? 'descending' : 'ascending') : undefined;
              return (
                <th key={c.key} style={c.width ? { width: c.width } : undefined} aria-sort={dir ?? (c.sortKey ? 'none' : undefined)}>
                  {c.sortKey && onSort ? (
                    <button type="button" className="sort" onClick={() => onSort(c.sortKey!)}>
                      {c.header}
                      <span aria-hidden="true">{active ? (dir === 'descending' ? ' ▼' : ' ▲') : ''}</span>
                    </button>
                  ) : (
                    c.header
                  )}
                </th>
              );
            })}
          </tr>
        </thead>
        <tbody>
          {loading && !rows
            ? Array.from({ length: placeholderRows }, (_, i) => (
                <tr key={i} className="placeholder" aria-hidden="true">
                  {columns.map((c) => (
                    <td key={c.key}>&nbsp;</td>
                  ))}
                </tr>
              ))
            : rows?.map((r) => (
                <tr key={rowKey(r)}>
                  {columns.map((c) => (
                    <td key={c.key}>{c.render(r)}</td>
                  ))}
                </tr>
              ))}
          {!loading && rows && rows.length === 0 && (
            <tr>
              <td colSpan={columns.length} className="empty">
                {empty}
              </td>
            </tr>
          )}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ page, perPage, total, onPage }: { page: number; perPage: number; total: number | undefined; onPage: (p: number) => void }) {
  const pages = total === undefined ? undefined : Math.max(1, Math.ceil(total / perPage));
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" onClick={() => onPage(page - 1)} disabled={page <= 1}>
        Previous
      </button>
      <span aria-live="polite">
        Page {page}
        {pages !== undefined ? ` of ${pages} · ${total} total` : ''}
      </span>
      <button type="button" onClick={() => onPage(page + 1)} disabled={pages === undefined || page >= pages}>
        Next
      </button>
    </nav>
  );
}

/// A modal `<dialog>`: focus moves inside, Escape closes.
export function Dialog({ title, open, onClose, children }: { title: string; open: boolean; onClose: () => void; children: ReactNode }) {
  const ref = useRef<HTMLDialogElement>(null);
  const id = useId();
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) {
      if (typeof d.showModal === 'function') d.showModal();
      else d.setAttribute('open', '');
    } else if (!open && d.open) {
      if (typeof d.close === 'function') d.close();
      else d.removeAttribute('open');
    }
  }, [open]);
  return (
    <dialog ref={ref} aria-labelledby={id} onClose={onClose} onCancel={onClose}>
      {open && (
        <>
          <header className="dialog-head">
            <h2 id={id}>{title}</h2>
            <button type="button" className="ghost" onClick={onClose} aria-label="Close">
              ✕
            </button>
          </header>
          {children}
        </>
      )}
    </dialog>
  );
}

/// A button that asks before it acts.
export function ConfirmButton({ label, question, onConfirm, danger, disabled, children }: { label: string; question: string; onConfirm: () => Promise<unknown> | void; danger?: boolean; disabled?: boolean; children?: ReactNode }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <button type="button" className={danger ? 'danger' : undefined} disabled={disabled} onClick={() => { setError(null); setOpen(true); }}>
        {label}
      </button>
      <Dialog title={`${label}?`} open={open} onClose={() => setOpen(false)}>
        <p>{question}</p>
        {children}
        <ErrorNote error={error} />
        <div className="actions">
          <button type="button" onClick={() => setOpen(false)}>
            Cancel
          </button>
          <button
            type="button"
            className={danger ? 'danger' : 'primary'}
            disabled={busy}
            onClick={async () => {
              setBusy(true);
              try {
                await onConfirm();
                setOpen(false);
              } catch (e) {
                setError(e);
              } finally {
                setBusy(false);
              }
            }}
          >
            {label}
          </button>
        </div>
      </Dialog>
    </>
  );
}

/// A labelled input with its error below it.
export function Field({ label, error, hint, children }: { label: string; error?: string; hint?: string; children: (id: string, describedBy: string | undefined) => ReactNode }) {
  const id = useId();
  const errId = `${id}-err`;
  const hintId = `${id}-hint`;
  const described = [error ? errId : '', hint ? hintId : ''].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' has-error' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children(id, described)}
      {hint && (
        <small id={hintId} className="hint">
          {hint}
        </small>
      )}
      {error && (
        <small id={errId} className="field-error" role="alert">
          {error}
        </small>
      )}
    </div>
  );
}

/// `a, b\nc` → `['a','b','c']`.
export function splitList(s: string): string[] {
  return s
    .split(/[,\n]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

/// `k=v` lines (or comma separated) → a map; a line without `=` is an error naming it.
export function parsePairs(s: string): { value: Record<string, string>; error?: string } {
  const value: Record<string, string> = {};
  for (const part of splitList(s)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { value, error: `"${part}" is not key=value` };
    value[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return { value };
}

export function pairsText(m: Record<string, string> | undefined): string {
  return Object.entries(m ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

export function PageHead({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="page-head">
      <h1>{title}</h1>
      <div className="page-actions">{children}</div>
    </div>
  );
}
