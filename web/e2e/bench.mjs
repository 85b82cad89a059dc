// Dashboard benchmark (not a test): in Chromium against a running certctl-server
// (CERTCTL_BENCH_BASE, CERTCTL_BENCH_KEY; `cargo bench -p certctl-server --bench dashboard` seeds
// 100,000 certificates and runs this). Reports the gzipped JS the first view loads and how long
// the certificates view takes to be interactive (50 rows rendered) after navigation.
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from './server.mjs';

const base = process.env.CERTCTL_BENCH_BASE;
const key = process.env.CERTCTL_BENCH_KEY;
const runs = Number(process.env.CERTCTL_BENCH_RUNS ?? 7);
if (!base || !key) throw new Error('set CERTCTL_BENCH_BASE and CERTCTL_BENCH_KEY');

const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS, headless: true });
const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
await ctx.addInitScript((k) => sessionStorage.setItem('certctl.apiKey', k), key);
const page = await ctx.newPage();

// 1. JS shipped for the first view: every script the page loads, gzipped
const scripts = new Map();
page.on('response', async (r) => {
  if (r.request().resourceType() === 'script') scripts.set(r.url(), await r.body());
});
await page.goto(`${base}/certificates`);
await page.waitForFunction(() => document.querySelectorAll('table[aria-label="Certificates"] tbody tr:not(.placeholder)').length === 50);
let raw = 0;
let gz = 0;
for (const body of scripts.values()) {
  raw += body.length;
  gz += gzipSync(body, { level: 9 }).length;
}
console.log(`JS for the first view: ${scripts.size} file(s), ${(raw / 1024).toFixed(1)} KiB, ${(gz / 1024).toFixed(1)} KiB gzipped (level 9)`);

const rowsReady = () => page.waitForFunction(() => document.querySelectorAll('table[aria-label="Certificates"] tbody tr:not(.placeholder)').length === 50 && !document.querySelector('[aria-busy="true"]'), null, { polling: 'raf' });
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return `median ${s[Math.floor(s.length / 2)].toFixed(0)} ms, min ${s[0].toFixed(0)} ms, max ${s[s.length - 1].toFixed(0)} ms (n=${s.length})`;
};

// 2. cold load: navigation start → 50 rows on screen (includes JS, /whoami and the list)
const cold = [];
for (let i = 0; i < runs; i++) {
  await page.goto(`${base}/certificates?bench=${i}`);
  await rowsReady();
  cold.push(await page.evaluate(() => performance.now()));
}
console.log(`certificates view, full page load to 50 rows: ${stats(cold)}`);

// 3. in-app navigation from the overview: click → 50 rows on screen (fresh query each time)
const nav = [];
for (let i = 0; i < runs; i++) {
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  await page.evaluate(() => window.dispatchEvent(new Event('bench')));
  const t0 = await page.evaluate(() => performance.now());
  await page.getByRole('link', { name: 'Certificates', exact: true }).click();
  await rowsReady();
  nav.push((await page.evaluate(() => performance.now())) - t0);
}
console.log(`certificates view, in-app navigation to 50 rows: ${stats(nav)}`);

// 4. interacting: sort by expiry, and a search, each until the new rows are on screen
const sort = [];
const search = [];
for (let i = 0; i < runs; i++) {
  await page.goto(`${base}/certificates`);
  await rowsReady();
  const first = () => page.evaluate(() => document.querySelector('table[aria-label="Certificates"] tbody tr td')?.textContent);
  const before = await first();
  const t0 = Date.now();
  await page.getByRole('button', { name: /^Expires/ }).click();
  await page.waitForFunction((b) => document.querySelector('table[aria-label="Certificates"] tbody tr td')?.textContent !== b && !document.querySelector('[aria-busy="true"]'), before, { polling: 'raf' });
  sort.push(Date.now() - t0);
  const t1 = Date.now();
  await page.getByLabel('Search').fill(`svc-${4242 + i}`);
  await page.waitForFunction((q) => new URL(location.href).searchParams.get('q') === q && [...document.querySelectorAll('table[aria-label="Certificates"] tbody tr td:nth-child(2)')].every((td) => td.textContent.includes(q)), `svc-${4242 + i}`, { polling: 'raf' });
  search.push(Date.now() - t1 - 250);
}
console.log(`sort by expiry, click to re-rendered rows: ${stats(sort)}`);
console.log(`search (after the 250 ms typing debounce) to filtered rows: ${stats(search)}`);
const total = await page.evaluate(async (k) => (await (await fetch('/api/v1/certificates?per_page=1', { headers: { Authorization: `Bearer ${k}` } })).json()).total, key);
console.log(`server holds ${total} certificates (not archived)`);
await browser.close();
