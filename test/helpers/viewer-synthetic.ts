/**
 * A large synthetic report for the viewer's speed test: `count` modules in `packages` packages, a tree
 * loaded depth-first with plausible bytes and times, totals summed up the tree as build-report does.
 * Deterministic (a fixed-seed generator), so a slow render is reproducible.
 */
import { REPORT_SCHEMA, type Report, type ReportModule } from '../../src/report/format.js';

export function largeReport(count = 5000, packages = 250): Report {
  let seed = 42;
  const random = (): number => {
    // mulberry32
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const modules: ReportModule[] = [];
  const add = (m: Omit<ReportModule, 'id' | 'totalBytes' | 'totalMs' | 'estimatedBytes' | 'unsampledBytes' | 'ok'>): ReportModule => {
    const full: ReportModule = { ...m, id: modules.length, totalBytes: 0, totalMs: 0, estimatedBytes: 0, unsampledBytes: 0, ok: true };
    modules.push(full);
    return full;
  };
  const site = (parent: ReportModule) => ({ file: parent.path, line: 1 + Math.floor(random() * 200), column: 1 + Math.floor(random() * 40) });
  let clock = 20;
  const entry = add({ path: '/app/server.js', kind: 'cjs', package: { name: 'app', version: '1.0.0' }, parent: null, site: null, selfBytes: 120_000, selfMs: 3, startMs: clock, name: './server.js', thirdParty: false });
  const perPackage = Math.floor((count - 1) / packages);
  for (let p = 0; p < packages && modules.length < count; p++) {
    const name = p % 7 === 0 ? `@scope${p % 5}/pkg-${p}` : `pkg-${p}`;
    const version = `${1 + (p % 4)}.${p % 10}.0`;
    // Each package enters from the entry or from a module of an earlier package: deep chains.
    const parent = p === 0 || random() < 0.3 ? entry : modules[1 + Math.floor(random() * (modules.length - 1))]!;
    clock += random() * 2;
    const root = add({ path: `/app/node_modules/${name}/index.js`, kind: p % 9 === 0 ? 'esm' : 'cjs', package: { name, version }, parent: parent.id, site: site(parent), selfBytes: Math.floor(random() * 60_000), selfMs: random() * 2, startMs: clock, name: `${name}@${version}`, thirdParty: true });
    const files = p === packages - 1 ? count - modules.length : perPackage - 1;
    const inPackage = [root];
    for (let f = 0; f < files && modules.length < count; f++) {
      const from = inPackage[Math.floor(random() * inPackage.length)]!;
      clock += random() * 0.3;
      inPackage.push(add({ path: `/app/node_modules/${name}/lib/file-${f}.js`, kind: root.kind, package: { name, version }, parent: from.id, site: site(from), selfBytes: Math.floor(random() * random() * 40_000), selfMs: random() * 0.4, startMs: clock, name: `${name}@${version}/lib/file-${f}.js`, thirdParty: true }));
    }
  }
  for (let i = modules.length - 1; i >= 0; i--) {
    const m = modules[i]!;
    m.totalBytes += m.selfBytes;
    m.totalMs += m.selfMs;
    if (m.parent !== null) {
      modules[m.parent]!.totalBytes += m.totalBytes;
      modules[m.parent]!.totalMs += m.totalMs;
    }
  }
  const attributed = modules.reduce((s, m) => s + m.selfBytes, 0);
  const baseline = 3_200_000;
  return {
    schema: REPORT_SCHEMA,
    importcost: '0.1.0',
    node: 'v20.20.2',
    command: ['server.js'],
    cwd: '/app',
    createdAt: '2026-01-01T00:00:00.000Z',
    stop: { reason: 'listening', exitCode: null, error: null, signal: 'SIGTERM' },
    totals: { heapBytes: attributed + baseline, attributedBytes: attributed, unattributedBytes: baseline, baselineBytes: baseline, wallMs: clock + 50, modules: modules.length, packages },
    sampling: { sampler: 'inspector', intervalBytes: 16411, mode: 'deterministic', samples: Math.floor(attributed / 16411), sampledBytes: attributed, unsampledBytes: 0, exact: false },
    buckets: [{ name: 'baseline', bytes: baseline, description: "Node's own heap before the program's first line" }],
    modules,
  };
}
