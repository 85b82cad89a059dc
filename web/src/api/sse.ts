// Live updates: a fetch-based Server-Sent Events reader for GET /api/v1/events (fetch, unlike
// EventSource, can send the Authorization header, so the key never appears in a URL), and the
// map from an audit event to the queries it makes stale.
import type { AuditEvent } from './types';

export interface SseMessage {
  event: string;
  data: string;
  id?: string;
}

/// Incremental parser of the text/event-stream format: feed it chunks, get whole messages.
export class SseParser {
  private buf = '';
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  push(chunk: string): SseMessage[] {
    this.buf += chunk;
    const out: SseMessage[] = [];
    let nl: number;
    while ((nl = this.buf.search(/\r\n|\r|\n/)) >= 0) {
      const line = this.buf.slice(0, nl);
      const sep = this.buf.startsWith('\r\n', nl) ? 2 : 1;
      this.buf = this.buf.slice(nl + sep);
      if (line === '') {
        if (this.data.length > 0) out.push({ event: this.event || 'message', data: this.data.join('\n'), id: this.id });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
      else if (field === 'id') this.id = value;
    }
    return out;
  }
}

/// The query-key roots an audit event makes stale.
export function staleKeys(ev: Pick<AuditEvent, 'resource_type' | 'action'>): string[] {
  const keys = new Set<string>(['audit']);
  const add = (...k: string[]) => k.forEach((x) => keys.add(x));
  switch (ev.resource_type) {
    case 'certificate':
      add('certificates', 'summary', 'violations', 'jobs');
      break;
    case 'job':
      add('jobs', 'certificates', 'summary', 'targets');
      break;
    case 'agent':
      add('agents', 'groups', 'summary');
      break;
    case 'agent_group':
      add('groups', 'agents');
      break;
    case 'policy':
      add('policies', 'violations', 'summary');
      break;
    case 'issuer':
      add('issuers');
      break;
    case 'target':
      add('targets', 'certificates');
      break;
    case 'notification':
      add('notifications');
      break;
    case 'owner':
    case 'team':
    case 'renewal_policy':
      add('org');
      break;
    default:
      break;
  }
  if (ev.action.includes('violation')) add('violations', 'policies');
  return [...keys];
}

export type LiveState = 'connecting' | 'live' | 'retrying' | 'unauthorized';

export interface LiveOptions {
  url: string;
  key: () => string | null;
  onEvent: (ev: AuditEvent) => void;
  /// The stream lost events (the client lagged or reconnected): reload everything.
  onResync: () => void;
  onState: (s: LiveState) => void;
  fetch?: typeof fetch;
}

/// Keeps one stream open, reconnecting with back-off and resuming after the last seen id.
export function connectLive(o: LiveOptions): () => void {
  const ctl = new AbortController();
  const f = o.fetch ?? globalThis.fetch.bind(globalThis);
  let lastId: string | undefined;
  let delay = 1000;
  const run = async () => {
    while (!ctl.signal.aborted) {
      o.onState(lastId === undefined ? 'connecting' : 'retrying');
      try {
        const headers: Record<string, string> = { Accept: 'text/event-stream' };
        const key = o.key();
        if (key) headers.Authorization = `Bearer ${key}`;
        if (lastId !== undefined) headers['Last-Event-ID'] = lastId;
        const resp = await f(o.url, { headers, signal: ctl.signal, cache: 'no-store' });
        if (resp.status === 401 || resp.status === 403) {
          o.onState('unauthorized');
          return;
        }
        if (!resp.ok || !resp.body) throw new Error(`HTTP ${resp.status}`);
        const resumed = lastId !== undefined;
        o.onState('live');
        if (resumed) o.onResync();
        delay = 1000;
        const reader = resp.body.pipeThrough(new TextDecoderStream()).getReader();
        const parser = new SseParser();
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          for (const m of parser.push(value)) {
            if (m.id) lastId = m.id;
            if (m.event === 'audit') {
              try {
                o.onEvent(JSON.parse(m.data) as AuditEvent);
              } catch {
                o.onResync();
              }
            } else if (m.event === 'lagged') o.onResync();
          }
        }
      } catch (e) {
        if (ctl.signal.aborted) return;
        void e;
      }
      if (lastId === undefined) lastId = '';
      o.onState('retrying');
      await new Promise((r) => setTimeout(r, delay));
      delay = Math.min(delay * 2, 15000);
    }
  };
  void run();
  return () => ctl.abort();
}
