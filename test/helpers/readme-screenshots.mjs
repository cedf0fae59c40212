#!/usr/bin/env node
/**
 * Retake the README's viewer screenshots (viewer/screenshots/*.png) from a real run:
 *   npm run build && node bin/importcost.js profile examples/express-server/server.js
 *   node test/helpers/readme-screenshots.mjs [importcost-out/server.importcost.json]
 * Serves the report with the real `importcost view`, drives Debian's chromium (see shared/NOTES.md).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = process.argv[2] ?? 'importcost-out/server.importcost.json';
const outDir = join(root, 'viewer', 'screenshots');
mkdirSync(outDir, { recursive: true });

const env = { ...process.env };
delete env.DISPLAY;
delete env.WAYLAND_DISPLAY;
const view = spawn(process.execPath, [join(root, 'bin', 'importcost.js'), 'view', '--no-open', file], { cwd: root, env, stdio: ['ignore', 'pipe', 'inherit'] });
const url = await new Promise((resolveUrl, reject) => {
  let text = '';
  view.stdout.on('data', (d) => {
    text += d;
    const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(text);
    if (m) resolveUrl(m[1]);
  });
  view.on('close', (code) => reject(new Error(`view exited with ${code}: ${text}`)));
});
const userDataDir = mkdtempSync(join(tmpdir(), 'importcost-chromium-'));
const context = await chromium.launchPersistentContext(userDataDir, {
  executablePath: '/usr/bin/chromium',
  headless: true,
  viewport: { width: 1400, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(url);
  await page.waitForSelector('html[data-ready]', { state: 'attached' });
  await page.screenshot({ path: join(outDir, 'summary.png') });
  await page.click('#tabs a[data-view="flame-0"]');
  await page.frameLocator('iframe[data-view="flame-0"]').getByText('Retained heap by import chain').first().waitFor();
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outDir, 'flamegraph-heap.png') });
  await page.click('#tabs a[data-view="flame-2"]');
  await page.frameLocator('iframe[data-view="flame-2"]').getByText('Load timeline').first().waitFor();
  await page.waitForTimeout(800);
  await page.screenshot({ path: join(outDir, 'timeline.png') });
  console.log(`wrote ${outDir}/{summary,flamegraph-heap,timeline}.png`);
} finally {
  await context.close();
  rmSync(userDataDir, { recursive: true, force: true });
  view.kill('SIGINT');
}
