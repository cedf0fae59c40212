/**
 * Small reports built by hand for unit tests of the pure layers (budgets, diff): modules with known
 * bytes and times, totals added up the tree the way build-report does.
 */
import { REPORT_SCHEMA, type Report, type ReportModule } from '../../src/report/format.js';

export interface ModuleSpec {
  /** `./server.js` for app files, `express` or `express/lib/router.js` for package files, `node:http`. */
  name: string;
  /** Index of the parent spec; omit for the entry. */
  parent?: number;
  bytes?: number;
  ms?: number;
  /** Line of the import in the parent. */
  line?: number;
  version?: string;
}

export function syntheticReport(specs: ModuleSpec[], options: { heap?: number; agent?: number } = {}): Report {
  const modules: ReportModule[] = specs.map((s, id) => {
    const builtin = s.name.startsWith('node:');
    const app = s.name.startsWith('./');
    const pkgName = builtin || app ? null : s.name.startsWith('@') ? s.name.split('/').slice(0, 2).join('/') : s.name.split('/')[0]!;
    const path = builtin ? s.name : app ? `/app/${s.name.slice(2)}` : `/app/node_modules/${s.name}${s.name.includes('.js') ? '' : '/index.js'}`;
    return {
      id,
      path,
      kind: builtin ? 'builtin' : 'cjs',
      package: app ? { name: 'app', version: '1.0.0' } : pkgName ? { name: pkgName, version: s.version ?? '1.0.0' } : null,
      parent: s.parent ?? null,
      site: s.parent === undefined ? null : { file: '', line: s.line ?? 1, column: 1 },
      selfBytes: s.bytes ?? 0,
      totalBytes: 0,
      selfMs: s.ms ?? 0,
      totalMs: 0,
      startMs: id,
      name: pkgName && !s.name.includes('/', pkgName.length) ? `${pkgName}@${s.version ?? '1.0.0'}` : s.name,
      thirdParty: pkgName !== null,
      ok: true,
      estimatedBytes: 0,
    };
  });
  for (const m of modules) if (m.site && m.parent !== null) m.site.file = modules[m.parent]!.path;
  // Children come after their parents: add totals bottom-up.
  for (const m of modules) {
    m.totalBytes = m.selfBytes;
    m.totalMs = m.selfMs;
  }
  for (let i = modules.length - 1; i >= 0; i--) {
    const m = modules[i]!;
    if (m.parent !== null) {
      modules[m.parent]!.totalBytes += m.totalBytes;
      modules[m.parent]!.totalMs += m.totalMs;
    }
  }
  const attributed = modules.filter((m) => m.parent === null).reduce((a, m) => a + m.totalBytes, 0);
  const agent = options.agent ?? 100_000;
  const heap = options.heap ?? attributed + 4_000_000 + agent;
  return {
    schema: REPORT_SCHEMA,
    importcost: '0.0.0-test',
    node: process.version,
    command: ['server.js'],
    cwd: '/app',
    createdAt: new Date(0).toISOString(),
    stop: { reason: 'listening', exitCode: null, error: null, signal: 'SIGTERM' },
    totals: { heapBytes: heap, attributedBytes: attributed, unattributedBytes: heap - attributed, baselineBytes: 4_000_000, wallMs: 500, modules: modules.length, packages: 0 },
    sampling: { sampler: 'inspector', intervalBytes: 32771, mode: 'deterministic', samples: 0, sampledBytes: attributed, unsampledBytes: 0, exact: false },
    buckets: [{ name: 'agent', bytes: agent, description: 'agent' }],
    modules,
  };
}
