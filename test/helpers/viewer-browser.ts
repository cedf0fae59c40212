/**
 * Helpers for the viewer tests: a real headless Debian chromium driven by playwright-core (flags from
 * shared/NOTES.md, a fresh profile folder each time), every request it makes recorded, and the real
 * `importcost view` process with its URL read from stdout.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { BIN, ROOT } from './run.js';

export const CHROMIUM = '/usr/bin/chromium';
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');
export const hasChromium = existsSync(CHROMIUM);

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Every URL any frame asked for, in order. */
  requests: string[];
  /** Uncaught errors in any page. */
  errors: string[];
  close(): Promise<void>;
}

export async function launchBrowser(options: { offline?: boolean } = {}): Promise<Browser> {
  const userDataDir = mkdtempSync(join(tmpdir(), 'importcost-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    offline: options.offline ?? false,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const requests: string[] = [];
  const errors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  if (options.offline) {
    // Belt and braces: anything that is not the file itself is refused outright.
    await context.route(/^(https?|wss?|ftp):/, (route) => route.abort('blockedbyclient'));
  }
  const page = context.pages()[0] ?? (await context.newPage());
  page.on('pageerror', (e) => errors.push(e.message));
  return {
    context,
    page,
    requests,
    errors,
    close: async () => {
      await context.close();
      rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

export function artifact(name: string): string {
  mkdirSync(ARTIFACTS, { recursive: true });
  return join(ARTIFACTS, name);
}

/** Wait for the summary script to finish its first render. */
export async function waitForViewer(page: Page): Promise<number> {
  await page.waitForSelector('html[data-ready]', { state: 'attached', timeout: 30_000 });
  return page.evaluate(() => (window as unknown as { __importcost: { renderMs: number } }).__importcost.renderMs);
}

/** speedscope's three profiles of ours, in tab order. */
export const PROFILE_NAMES = ['Retained heap by import chain', 'Load time by import chain (self)', 'Load timeline'];

/** Open each flamegraph tab, wait for speedscope to show its profile, and screenshot it as `<prefix>-<i>.png`. */
export async function screenshotFlameTabs(page: Page, prefix: string): Promise<void> {
  for (const [i, name] of PROFILE_NAMES.entries()) {
    await page.click(`#tabs a[data-view="flame-${i}"]`);
    await page.frameLocator(`iframe[data-view="flame-${i}"]`).getByText(name).first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await page.screenshot({ path: artifact(`${prefix}-${i}.png`) });
  }
}

/**
 * Open flamegraph tab `index`, wait for speedscope to show the profile named `profileName`, switch to
 * its sandwich view and return the text of its table.
 */
export async function openSandwich(page: Page, index: number, profileName: string): Promise<{ frame: FrameLocator; table: string }> {
  await page.click(`#tabs a[data-view="flame-${index}"]`);
  const frame = page.frameLocator(`iframe[data-view="flame-${index}"]`);
  await frame.getByText(profileName, { exact: false }).first().waitFor({ timeout: 30_000 });
  await frame.getByText('Sandwich').first().click();
  // The sandwich view's table: a header with "Self" and "Total" and one row per frame.
  await frame.getByText('Symbol Name', { exact: false }).first().waitFor({ timeout: 30_000 });
  const table = await frame.locator('body').innerText();
  return { frame, table };
}

export interface ViewProcess {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  stderr: () => string;
  /** Ctrl-C; resolves to the exit code. */
  stop(): Promise<number | null>;
}

/** Start the real `importcost view <args>` (or another command that serves the viewer) with no display, and wait for its URL. */
export async function startView(args: string[], command = 'view'): Promise<ViewProcess> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1' };
  delete env.DISPLAY;
  delete env.WAYLAND_DISPLAY;
  delete env.BROWSER;
  const child = spawn(process.execPath, [BIN, command, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolveExit) => child.on('close', (code) => resolveExit(code)));
  const url = await new Promise<string>((resolveUrl, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL after 20 s; stdout: ${stdout}; stderr: ${stderr}`)), 20_000);
    const check = (): void => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
      if (m) {
        clearTimeout(timer);
        resolveUrl(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.on('close', () => {
      clearTimeout(timer);
      reject(new Error(`view exited before printing a URL; stdout: ${stdout}; stderr: ${stderr}`));
    });
  });
  return {
    child,
    url,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async () => {
      child.kill('SIGINT');
      return exited;
    },
  };
}
