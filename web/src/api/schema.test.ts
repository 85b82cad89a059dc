// @vitest-environment node
// schema.d.ts is what openapi-typescript makes of ../openapi.json (which a Rust test keeps equal
// to the server's document): regenerate and compare, so types and server cannot drift.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

it('schema.d.ts is current (npm run gen:types)', () => {
  const root = resolve(import.meta.dirname, '../..');
  const bin = resolve(root, 'node_modules/.bin/openapi-typescript');
  const fresh = execFileSync(bin, [resolve(root, 'openapi.json'), '--default-non-nullable', 'false'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  expect(fresh === readFileSync(resolve(import.meta.dirname, 'schema.d.ts'), 'utf8'), 'run npm run gen:types').toBe(true);
}, 30_000);
