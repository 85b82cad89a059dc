// @vitest-environment node
// The API client against a real certctl-server (the binary started by e2e/server.mjs), and its
// pure helpers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiError, Client, errorFrom, formErrors, queryString } from './client';
import type { Certificate, Whoami } from './types';
import { startServer } from '../../e2e/server.mjs';

describe('helpers', () => {
  it('builds query strings from set values only, repeating arrays', () => {
    expect(queryString({ a: 1, b: '', c: undefined, d: false, e: true, tag: ['x:1', 'y:2'] })).toBe('?a=1&e=true&tag=x%3A1&tag=y%3A2');
    expect(queryString({})).toBe('');
  });
  it('reads the error envelope, and says when the API is unavailable', () => {
    const e = errorFrom(422, '{"error":{"code":"validation_failed","message":"common_name: must not be empty"}}');
    expect([e.status, e.code, e.message]).toEqual([422, 'validation_failed', 'common_name: must not be empty']);
    expect(errorFrom(502, '<html>').unreachable).toBe(false);
    expect(errorFrom(502, '<html>').code).toBe('unreachable');
    expect(errorFrom(500, 'boom').message).toBe('HTTP 500: boom');
  });
  it('splits validation and policy errors for forms', () => {
    const fields = ['common_name', 'sans', 'cidr'];
    expect(formErrors(new ApiError(422, 'validation_failed', 'common_name: must not be empty'), fields).fields).toEqual({ common_name: 'must not be empty' });
    expect(formErrors(new ApiError(422, 'validation_failed', 'criteria.cidr[1]: not a network'), fields).fields).toEqual({ cidr: 'not a network' });
    expect(formErrors(new ApiError(422, 'validation_failed', 'owner_id: unknown'), fields).general).toEqual(['owner_id: unknown']);
    const p = formErrors(new ApiError(422, 'policy_rejected', 'rejected by policy: domains: x.net is not allowed; env: prod only'), fields);
    expect(p.policy).toEqual(['domains: x.net is not allowed', 'env: prod only']);
  });
});

describe('against certctl-server', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  beforeAll(async () => {
    server = await startServer();
  }, 60_000);
  afterAll(async () => server?.stop());

  const client = (key: string | null, onUnauthorized?: () => void) => new Client({ base: server.base, key: () => key, onUnauthorized });

  it('sends the key as Bearer and learns its role', async () => {
    const me = await client(server.adminKey).get<Whoami>('/whoami');
    expect(me).toMatchObject({ role: 'admin', can_write: true, can_admin: true });
  });
  it('calls onUnauthorized on 401', async () => {
    let called = 0;
    await expect(client('certctl_wrong', () => called++).get('/whoami')).rejects.toMatchObject({ status: 401, code: 'unauthenticated' });
    expect(called).toBe(1);
  });
  it('creates, lists with sort and search, and reports validation errors by field', async () => {
    const c = client(server.adminKey);
    const a = await c.post<Certificate>('/certificates', { common_name: 'b-client.example.com' });
    await c.post<Certificate>('/certificates', { common_name: 'a-client.example.com' });
    const page = await c.list<Certificate>('/certificates', { q: 'client.example', sort: 'common_name' });
    expect(page.data.map((x) => x.common_name)).toEqual(['a-client.example.com', 'b-client.example.com']);
    const desc = await c.list<Certificate>('/certificates', { q: 'client.example', sort: '-common_name' });
    expect(desc.data[0].id).toBe(a.id);
    const err = await c.post('/certificates', { common_name: '' }).catch((e) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(formErrors(err, ['common_name']).fields.common_name).toBeTruthy();
    await expect(c.list('/certificates', { sort: 'bogus' })).rejects.toMatchObject({ status: 400 });
  });
  it('says plainly when the API cannot be reached', async () => {
    const c = new Client({ base: 'http://127.0.0.1:9', key: () => 'x' });
    const err = await c.get('/whoami').catch((e) => e);
    expect(err.unreachable).toBe(true);
    expect(err.message).toMatch(/cannot be reached/);
  });
});
