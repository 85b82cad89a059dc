// Components with logic, rendered in jsdom and talking to a real certctl-server (demo data): the
// criteria editor's live preview and field errors, the create form's validation and policy
// reasons, and what a viewer is not offered.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { QueryClientProvider } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { makeQueryClient, SessionProvider } from '../app/session';
import { GroupEditor } from './groups';
import { CreateCertificateForm } from './certificates';
import { ConnectorsView } from './connectors';
import { startServer } from '../../e2e/server.mjs';

let server: Awaited<ReturnType<typeof startServer>>;
beforeAll(async () => {
  server = await startServer({ args: ['--demo'] });
}, 60_000);
afterAll(async () => {
  cleanup();
  await server?.stop();
});

function withSession(key: string, ui: ReactNode) {
  sessionStorage.setItem('certctl.apiKey', key);
  return render(
    <QueryClientProvider client={makeQueryClient()}>
      <SessionProvider base={server.base} signIn={() => <p>signed out</p>}>
        {ui}
      </SessionProvider>
    </QueryClientProvider>,
  );
}

describe('GroupEditor', () => {
  it('previews the matching agents and puts the server\'s errors under the field', async () => {
    const expected = await server.api('POST', '/agent-groups/preview', { criteria: { os: ['linux'], arch: ['x86_64'] } });
    withSession(server.adminKey, <GroupEditor onDone={() => {}} />);
    const os = await screen.findByLabelText('OS');
    fireEvent.change(os, { target: { value: 'linux' } });
    fireEvent.change(screen.getByLabelText('Arch'), { target: { value: 'x86_64' } });
    await screen.findByText(`Preview: ${expected.total} matching agent${expected.total === 1 ? '' : 's'}`, {}, { timeout: 5000 });
    const table = screen.getByRole('table', { name: 'Preview of matching agents' });
    for (const a of expected.data) expect(within(table).getByText(a.name)).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Networks'), { target: { value: '10.0.0.0/8, 300.1.1.1' } });
    await waitFor(() => expect(screen.getByLabelText('Networks').getAttribute('aria-invalid')).toBe('true'), { timeout: 5000 });
    expect(screen.getByRole('alert').textContent).toMatch(/"300.1.1.1" is not an IPv4 or IPv6 network/);
    fireEvent.change(screen.getByLabelText('Labels'), { target: { value: 'env' } });
    await screen.findByText('"env" is not key=value');
    cleanup();
  });
});

describe('CreateCertificateForm', () => {
  it('checks the common name, then shows each policy reason from the API', async () => {
    await server.api('POST', '/policies', { name: 'vitest only example.org', type: 'AllowedDomains', mode: 'enforce', config: { domains: ['example.org'] } });
    let created = 0;
    withSession(server.adminKey, <CreateCertificateForm onDone={(c) => c && created++} />);
    fireEvent.click(await screen.findByRole('button', { name: 'Create' }));
    expect(await screen.findByText('A common name is required.')).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Common name'), { target: { value: 'x.example.net' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    const reason = await screen.findByText(/vitest only example.org: x.example.net is not allowed/, {}, { timeout: 5000 });
    expect(reason.tagName).toBe('LI');
    fireEvent.change(screen.getByLabelText('Tags'), { target: { value: 'team' } });
    fireEvent.click(screen.getByRole('button', { name: 'Create' }));
    expect(await screen.findByText('"team" is not key=value')).toBeTruthy();
    expect(created).toBe(0);
    cleanup();
  });
});

describe('roles', () => {
  it('offers a viewer no button that changes anything', async () => {
    const viewer = await server.api('POST', '/api-keys', { name: 'vitest-viewer', role: 'viewer' });
    withSession(viewer.key, <ConnectorsView kind="issuers" />);
    await screen.findByText('iss-local');
    for (const name of ['New issuer', 'Test', 'Disable', 'Delete']) expect(screen.queryByRole('button', { name })).toBeNull();
    cleanup();
    withSession(server.adminKey, <ConnectorsView kind="issuers" />);
    await screen.findByText('iss-local');
    expect(screen.getByRole('button', { name: 'New issuer' })).toBeTruthy();
    cleanup();
  });
});
