// Starts a real certctl-server (the binary with the embedded dashboard) on a free loopback port
// with a fresh data directory, and stops it. Used by the end-to-end tests and the benchmark.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function serverBin() {
  const bin = process.env.CERTCTL_SERVER_BIN ?? resolve(import.meta.dirname, '../../target/debug/certctl-server');
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build it (cargo build -p certctl-server) after npm run build, or set CERTCTL_SERVER_BIN`);
  return bin;
}

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on('error', fail);
  });
}

/// Starts the server; `args` adds flags (e.g. `--demo`), `env` adds variables.
export async function startServer({ args = [], env = {}, dataDir } = {}) {
  const dir = dataDir ?? mkdtempSync(join(tmpdir(), 'certctl-e2e-'));
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(serverBin(), args, {
    env: {
      ...process.env,
      CERTCTL_DATA_DIR: dir,
      CERTCTL_LISTEN: `127.0.0.1:${port}`,
      CERTCTL_KEYGEN_MODE: 'server',
      CERTCTL_JOB_PROCESSOR_INTERVAL: '300ms',
      CERTCTL_LOG_FORMAT: 'json',
      RUST_LOG: 'warn',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`certctl-server exited (${child.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${base}/ready`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error(`certctl-server did not become ready:\n${log}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const adminKey = readFileSync(join(dir, 'admin.key'), 'utf8').trim();
  const api = async (method, path, body, key = adminKey) => {
    const r = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await r.text();
    if (!r.ok) throw new Error(`${method} ${path}: HTTP ${r.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  };
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    if (!dataDir) rmSync(dir, { recursive: true, force: true });
  };
  return { base, dir, adminKey, api, stop, log: () => log };
}

export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];

export function chromiumPath() {
  return process.env.CERTCTL_CHROMIUM ?? '/usr/bin/chromium';
}
