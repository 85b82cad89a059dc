// @vitest-environment node
// The event-stream parser, the stale-query map, and connectLive against a real certctl-server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectLive, SseParser, staleKeys, type LiveState } from './sse';
import type { AuditEvent } from './types';
import { startServer } from '../../e2e/server.mjs';

describe('SseParser', () => {
  it('joins messages split across chunks and skips comments', () => {
    const p = new SseParser();
    expect(p.push(':keep-alive\n\nevent: au')).toEqual([]);
    expect(p.push('dit\nid: 7\ndata: {"a":\ndata: 1}\n\n')).toEqual([{ event: 'audit', id: '7', data: '{"a":\n1}' }]);
    expect(p.push('data: x\r\n\r\n')).toEqual([{ event: 'message', id: '7', data: 'x' }]);
  });
});

describe('staleKeys', () => {
  it('maps a job event to jobs, certificates and the summary', () => {
    expect(staleKeys({ resource_type: 'job', action: 'job_created' })).toEqual(expect.arrayContaining(['audit', 'jobs', 'certificates', 'summary']));
    expect(staleKeys({ resource_type: 'api_key', action: 'api_key_created' })).toEqual(['audit']);
  });
});

describe('connectLive against certctl-server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(async () => server?.stop());

  it('delivers audit events as they are written', async () => {
    const events: AuditEvent[] = [];
    const states: LiveState[] = [];
    const stop = connectLive({ url: `${server.base}/api/v1/events`, key: () => server.adminKey, onEvent: (e) => events.push(e), onResync: () => {}, onState: (s) => states.push(s) });
    try {
      await until(() => states.includes('live'));
      const cert = await server.api('POST', '/certificates', { common_name: 'sse.example.com' });
      await until(() => events.some((e) => e.resource_id === cert.id && e.action === 'certificate_created'));
    } finally {
      stop();
    }
  });
  it('reports an unauthorized key instead of retrying', async () => {
    const states: LiveState[] = [];
    const stop = connectLive({ url: `${server.base}/api/v1/events`, key: () => 'certctl_bad', onEvent: () => {}, onResync: () => {}, onState: (s) => states.push(s) });
    await until(() => states.includes('unauthorized'));
    stop();
  });
});

async function until(cond: () => boolean, ms = 10_000) {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
