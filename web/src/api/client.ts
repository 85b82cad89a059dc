// The dashboard's HTTP client: Bearer auth, the API's error envelope turned into ApiError, and
// "the API is unreachable" told apart from an API error.
import type { ErrorBody, Page } from './types';

/// What went wrong with a request.
export class ApiError extends Error {
  /// HTTP status; 0 when the API could not be reached at all.
  readonly status: number;
  /// The API's machine-readable code (`validation_failed`, `policy_rejected`, ...), or
  /// `unreachable` / `bad_response`.
  readonly code: string;

  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }

  get unreachable(): boolean {
    return this.status === 0;
  }
}

export type Query = Record<string, string | number | boolean | undefined | null | string[]>;

/// `?a=1&b=x` from the set (non-empty) values; arrays repeat the key.
export function queryString(q: Query | undefined): string {
  if (!q) return '';
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null || v === '' || v === false) continue;
    if (Array.isArray(v)) v.filter((x) => x !== '').forEach((x) => p.append(k, x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : '';
}

export interface ClientOptions {
  /// Origin of the API; '' = the page's own origin.
  base?: string;
  /// The API key (sent as `Authorization: Bearer`).
  key: () => string | null;
  /// Called on any 401 (the dashboard returns to sign-in).
  onUnauthorized?: () => void;
  fetch?: typeof fetch;
}

export class Client {
  constructor(private readonly opts: ClientOptions) {}

  headers(json: boolean): Record<string, string> {
    const h: Record<string, string> = { Accept: 'application/json' };
    const key = this.opts.key();
    if (key) h.Authorization = `Bearer ${key}`;
    if (json) h['Content-Type'] = 'application/json';
    return h;
  }

  url(path: string, q?: Query): string {
    return `${this.opts.base ?? ''}/api/v1${path}${queryString(q)}`;
  }

  async request<T>(method: string, path: string, opts: { query?: Query; body?: unknown; signal?: AbortSignal } = {}): Promise<T> {
    const f = this.opts.fetch ?? globalThis.fetch.bind(globalThis);
    let resp: Response;
    try {
      resp = await f(this.url(path, opts.query), {
        method,
        headers: this.headers(opts.body !== undefined),
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: opts.signal,
      });
    } catch (e) {
      if (e instanceof DOMException && e.name === 'AbortError') throw e;
      throw new ApiError(0, 'unreachable', `The certctl API cannot be reached (${e instanceof Error ? e.message : String(e)}).`);
    }
    if (resp.status === 401) this.opts.onUnauthorized?.();
    const text = await resp.text();
    if (!resp.ok) throw errorFrom(resp.status, text);
    if (!text) return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      if ((resp.headers.get('content-type') ?? '').startsWith('application/json')) {
        throw new ApiError(resp.status, 'bad_response', 'The API answered with malformed JSON.');
      }
      return text as T;
    }
  }

  get<T>(path: string, query?: Query, signal?: AbortSignal): Promise<T> {
    return this.request<T>('GET', path, { query, signal });
  }
  list<T>(path: string, query?: Query, signal?: AbortSignal): Promise<Page<T>> {
    return this.request<Page<T>>('GET', path, { query, signal });
  }
  post<T>(path: string, body?: unknown, query?: Query): Promise<T> {
    return this.request<T>('POST', path, { body, query });
  }
  put<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('PUT', path, { body });
  }
  del(path: string): Promise<void> {
    return this.request<void>('DELETE', path);
  }
}

/// An ApiError from a non-2xx answer: the API's envelope when it is one, else the status text.
export function errorFrom(status: number, text: string): ApiError {
  try {
    const body = JSON.parse(text) as ErrorBody;
    if (body?.error?.code) return new ApiError(status, body.error.code, body.error.message);
  } catch {
    /* not the envelope */
  }
  if (status === 502 || status === 503 || status === 504) {
    return new ApiError(status, 'unreachable', `The certctl API is unavailable (HTTP ${status}).`);
  }
  return new ApiError(status, 'http_error', `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`);
}

/// A validation or policy error split for a form: messages per field (from `field: message`
/// and `field[2]: message` texts) and the rest; a policy rejection becomes one reason per rule.
export interface FormErrors {
  fields: Record<string, string>;
  general: string[];
  policy: string[];
}

export function formErrors(e: unknown, knownFields: string[]): FormErrors {
  const out: FormErrors = { fields: {}, general: [], policy: [] };
  if (!(e instanceof ApiError)) {
    out.general.push(e instanceof Error ? e.message : String(e));
    return out;
  }
  if (e.code === 'policy_rejected') {
    const body = e.message.replace(/^rejected by policy:\s*/, '');
    out.policy = body.split(/;\s+/).map((s) => s.trim()).filter(Boolean);
    return out;
  }
  const m = /^([a-z_][a-z0-9_]*(?:\.[a-z_][a-z0-9_]*)*)(?:\[\d+\])?:\s*(.+)$/s.exec(e.message);
  if (m) {
    const parts = m[1].split('.');
    const field = [m[1], parts[parts.length - 1], parts[0]].find((f) => knownFields.includes(f));
    if (field) {
      out.fields[field] = m[2];
      return out;
    }
  }
  out.general.push(e.message);
  return out;
}
