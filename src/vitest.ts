// The emitted vitest.d.ts must load vitest's types itself: its `declare module 'vitest'` below added
// nothing to a consumer's `expect` without it (TS2339 in test/packaging.test.ts's TypeScript consumer).
// TypeScript 5.5+ keeps a reference directive in declaration output only with preserve="true".
/// <reference types="vitest" preserve="true" />
/**
 * `importcost/vitest`: start-up budgets as Vitest assertions, the Node counterpart of pytest-memray's
 * `limit_memory`. Importing this module registers the matchers; each profiles the entry in a child process.
 *
 *   import 'importcost/vitest';
 *   await expect('./src/server.js').toStartWithin({ heap: '40 MB' });
 *   await expect('./src/cli.js').not.toLoadAtStartup('typescript');
 */
import { expect } from 'vitest';
import { check, type CheckRunResult } from './budgets/run-check.js';
import type { Until } from './profile/run-profile.js';
import { describeRow } from './reporters/check.js';
import { formatSite } from './reporters/format-values.js';

/** Budgets as written in importcost.config.json: `{ heap: '40 MB', loadTime: '300 ms', modules: 500, packages: {...}, forbid: [...] }`. */
export interface StartupBudgets {
  heap?: string | number;
  loadTime?: string | number;
  modules?: number;
  packages?: Record<string, string | number>;
  forbid?: string[];
}

export interface StartupOptions {
  /** When start-up is over: auto (default), exit, listening, idle, or a time such as '5 s'. */
  until?: Until | string;
  /** Arguments for the entry. */
  args?: string[];
  /** Profile this many times; loadTime uses the median. */
  runs?: number;
  /** Folder the entry path is relative to and runs in; default process.cwd(). */
  cwd?: string;
}

async function run(entry: unknown, budgets: StartupBudgets, options: StartupOptions = {}): Promise<CheckRunResult> {
  if (typeof entry !== 'string') throw new TypeError(`expect(entry): the entry must be a file path string, got ${typeof entry}`);
  const { cwd, ...rest } = options;
  return check({ cwd: cwd ?? process.cwd(), config: { entry, ...rest, budgets }, out: null });
}

function explain(result: CheckRunResult, cwd: string, which: 'failed' | 'passed'): string {
  return result.rows
    .filter((r) => r.passed === (which === 'passed'))
    .map((r) => {
      const o = r.offender;
      const blame = o ? `\n      ${o.package} via ${o.chain.join(' > ')}\n      at ${formatSite(o.site, cwd)}` : '';
      return `  ${r.name}: ${describeRow(r)}${which === 'failed' ? blame : ''}`;
    })
    .join('\n');
}

expect.extend({
  async toStartWithin(received: unknown, budgets: StartupBudgets, options?: StartupOptions) {
    const result = await run(received, budgets, options);
    const cwd = options?.cwd ?? process.cwd();
    return {
      pass: result.passed,
      message: () =>
        result.passed
          ? `expected ${String(received)} not to start within its budgets, but every one held:\n${explain(result, cwd, 'passed')}`
          : `expected ${String(received)} to start within its budgets:\n${explain(result, cwd, 'failed')}`,
      actual: result.metrics,
    };
  },

  async toLoadAtStartup(received: unknown, packageName: string, options?: StartupOptions) {
    const result = await run(received, { forbid: [packageName] }, options);
    const loaded = result.rows.filter((r) => !r.passed && r.offender);
    const cwd = options?.cwd ?? process.cwd();
    return {
      pass: loaded.length > 0,
      message: () =>
        loaded.length > 0
          ? `expected ${String(received)} not to load ${packageName} at start-up, but it does:\n` +
            loaded.map((r) => `  ${r.offender!.package} (${describeRow(r)})\n      via ${r.offender!.chain.join(' > ')}\n      at ${formatSite(r.offender!.site, cwd)}`).join('\n')
          : `expected ${String(received)} to load ${packageName} at start-up, but it does not`,
    };
  },
});

interface ImportcostMatchers<R = unknown> {
  /** Profile the entry in a child process and hold it to budgets (heap, loadTime, modules, packages, forbid). */
  toStartWithin(budgets: StartupBudgets, options?: StartupOptions): Promise<R>;
  /** Profile the entry in a child process: does a package matching `packageName` load during start-up? */
  toLoadAtStartup(packageName: string, options?: StartupOptions): Promise<R>;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type
  interface Assertion<T = any> extends ImportcostMatchers<T> {}
}
