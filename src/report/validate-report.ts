/**
 * The shape of a report read from a file, checked field by field: every field that `view`, `export`,
 * `check` and `diff` read has the type they expect, numbers are finite and no larger than 2^53, and the
 * modules form a forest (each id its index, parents and imports in range, no cycle of parents), so
 * that what passes cannot crash or hang what reads it. Names that only label things (a stop reason,
 * a bucket, a module kind) are checked as strings, not against today's list: a report from a newer
 * importcost of the same schema version still reads. Pure.
 */

/** Where a report breaks its shape: the field's path, what it must be, and what it was. */
export class ShapeError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly got: unknown,
  ) {
    super(got === undefined ? `${path} is missing (${expected})` : `${path} must be ${expected}, got ${showValue(got)}`);
  }
}

/** A value as one short line: a type or a truncated literal (never the whole of a huge or deep value). */
export function showValue(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  const text = typeof value === 'string' ? JSON.stringify(value) : String(value);
  return text.length > 40 ? `${text.slice(0, 37)}...` : text;
}

/** Byte counts and times: finite, and exact in a double (2^53). */
const LIMIT = Number.MAX_SAFE_INTEGER;

type Fields = Record<string, unknown>;

function object(value: unknown, path: string): Fields {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ShapeError(path, 'an object', value);
  return value as Fields;
}

function array(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw new ShapeError(path, 'an array', value);
  return value;
}

function string(value: unknown, path: string): void {
  if (typeof value !== 'string') throw new ShapeError(path, 'a string', value);
}

function boolean(value: unknown, path: string): void {
  if (typeof value !== 'boolean') throw new ShapeError(path, 'true or false', value);
}

/** A finite number within ±2^53 (bytes may be signed: the sampling residual is). */
function number(value: unknown, path: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > LIMIT) {
    throw new ShapeError(path, 'a finite number no larger than 2^53', value);
  }
}

/** A whole number from `min` to `max`. */
function integer(value: unknown, path: string, min = 0, max = LIMIT): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new ShapeError(path, `a whole number from ${min} to ${max === LIMIT ? '2^53' : max}`, value);
  }
}

function nullable(value: unknown, path: string, check: (value: unknown, path: string) => void): void {
  if (value !== null) check(value, path);
}

function optional(value: unknown, path: string, check: (value: unknown, path: string) => void): void {
  if (value !== undefined) check(value, path);
}

function strings(value: unknown, path: string): void {
  array(value, path).forEach((item, i) => string(item, `${path}[${i}]`));
}

/** Deeper than this, a file is not one importcost wrote (a report nests 4 levels, a speedscope file 5). */
const MAX_DEPTH = 64;

/**
 * Refuse values nested deeper than MAX_DEPTH anywhere, unknown fields included: what reads a report
 * later (JSON.stringify for the viewer's page, for one) recurses, and a deep enough value overflows its
 * stack. Iterative, so it cannot overflow itself.
 */
export function checkDepth(data: unknown): void {
  const pending: [object, number][] = typeof data === 'object' && data !== null ? [[data, 1]] : [];
  while (pending.length > 0) {
    const [value, depth] = pending.pop()!;
    if (depth > MAX_DEPTH) throw new ShapeError('the file', `nested at most ${MAX_DEPTH} levels deep`, depth);
    for (const child of Object.values(value)) if (typeof child === 'object' && child !== null) pending.push([child, depth + 1]);
  }
}

/**
 * Check `data` (already known to carry an importcost-report schema string); throws ShapeError. The
 * fields the readers read must be there; the others (the rest of the contract, fields added since @1)
 * may be missing, and must have their type where they are not.
 */
export function validateReportShape(data: unknown): void {
  checkDepth(data);
  const report = object(data, 'the report');
  for (const key of ['importcost', 'node', 'cwd', 'createdAt']) string(report[key], key);
  strings(report.command, 'command');
  optional(report.esmHooks, 'esmHooks', string);

  const stop = object(report.stop, 'stop');
  string(stop.reason, 'stop.reason');
  nullable(stop.exitCode, 'stop.exitCode', (v, p) => integer(v, p, -LIMIT));
  nullable(stop.error, 'stop.error', string);
  nullable(stop.signal, 'stop.signal', string);

  const totals = object(report.totals, 'totals');
  for (const key of ['heapBytes', 'attributedBytes', 'baselineBytes', 'wallMs']) number(totals[key], `totals.${key}`);
  integer(totals.modules, 'totals.modules');
  optional(totals.unattributedBytes, 'totals.unattributedBytes', number);
  optional(totals.packages, 'totals.packages', integer);
  optional(totals.heap, 'totals.heap', string);
  optional(totals.heapAtMs, 'totals.heapAtMs', number);

  const sampling = object(report.sampling, 'sampling');
  string(sampling.sampler, 'sampling.sampler');
  number(sampling.intervalBytes, 'sampling.intervalBytes');
  number(sampling.sampledBytes, 'sampling.sampledBytes');
  optional(sampling.unsampledBytes, 'sampling.unsampledBytes', number);
  optional(sampling.samples, 'sampling.samples', integer);
  optional(sampling.mode, 'sampling.mode', string);
  optional(sampling.exact, 'sampling.exact', boolean);
  optional(sampling.unsampledMeasuredBytes, 'sampling.unsampledMeasuredBytes', number);

  array(report.buckets, 'buckets').forEach((item, i) => {
    const bucket = object(item, `buckets[${i}]`);
    string(bucket.name, `buckets[${i}].name`);
    number(bucket.bytes, `buckets[${i}].bytes`);
    optional(bucket.description, `buckets[${i}].description`, string);
  });

  const modules = array(report.modules, 'modules');
  const count = modules.length;
  const id = (v: unknown, p: string): void => integer(v, p, 0, Math.max(0, count - 1));
  const parents: (number | null)[] = [];
  modules.forEach((item, i) => {
    const at = `modules[${i}]`;
    const m = object(item, at);
    integer(m.id, `${at}.id`, i, i);
    for (const key of ['path', 'kind', 'name']) string(m[key], `${at}.${key}`);
    nullable(m.package, `${at}.package`, (v, p) => {
      const pkg = object(v, p);
      string(pkg.name, `${p}.name`);
      string(pkg.version, `${p}.version`);
    });
    nullable(m.parent, `${at}.parent`, (v, p) => {
      if (count === 0 || v === i) throw new ShapeError(p, `null or the id of another module (0 to ${count - 1})`, v);
      id(v, p);
    });
    parents.push(m.parent as number | null);
    nullable(m.site, `${at}.site`, (v, p) => {
      const site = object(v, p);
      string(site.file, `${p}.file`);
      integer(site.line, `${p}.line`);
      integer(site.column, `${p}.column`);
    });
    for (const key of ['selfBytes', 'totalBytes', 'selfMs', 'totalMs', 'startMs']) number(m[key], `${at}.${key}`);
    for (const key of ['estimatedBytes', 'unsampledBytes', 'exclusiveBytes', 'evaluationMs']) optional(m[key], `${at}.${key}`, number);
    optional(m.imports, `${at}.imports`, (v, p) => array(v, p).forEach((to, k) => id(to, `${p}[${k}]`)));
    boolean(m.thirdParty, `${at}.thirdParty`);
    boolean(m.ok, `${at}.ok`);
  });
  checkNoParentCycle(parents);

  optional(report.process, 'process', validateProcess);
  optional(report.processes, 'processes', (v, p) =>
    array(v, p).forEach((item, i) => {
      const at = `${p}[${i}]`;
      validateProcess(item, at);
      const summary = item as Fields;
      string(summary.file, `${at}.file`);
      string(summary.heap, `${at}.heap`);
      string(summary.stopReason, `${at}.stopReason`);
      nullable(summary.entry, `${at}.entry`, string);
      for (const key of ['heapBytes', 'wallMs', 'attributedBytes']) number(summary[key], `${at}.${key}`);
      integer(summary.modules, `${at}.modules`);
    }),
  );
}

function validateProcess(value: unknown, path: string): void {
  const p = object(value, path);
  integer(p.pid, `${path}.pid`);
  integer(p.ppid, `${path}.ppid`);
  integer(p.threadId, `${path}.threadId`);
  string(p.role, `${path}.role`);
  string(p.label, `${path}.label`);
  strings(p.argv, `${path}.argv`);
  nullable(p.launcher, `${path}.launcher`, string);
  nullable(p.parent, `${path}.parent`, (v, at) => {
    const parent = object(v, at);
    integer(parent.pid, `${at}.pid`);
    integer(parent.threadId, `${at}.threadId`);
  });
  nullable(p.listen, `${path}.listen`, (v, at) => {
    const listen = object(v, at);
    number(listen.atMs, `${at}.atMs`);
    boolean(listen.viaCluster, `${at}.viaCluster`);
    nullable(listen.port, `${at}.port`, (x, q) => integer(x, q, 0, 65535));
    nullable(listen.host, `${at}.host`, string);
    nullable(listen.path, `${at}.path`, string);
  });
}

/**
 * Every walk up the first-load tree (chains, nesting of packages) must end: no module may be its own
 * ancestor. Each module is visited once (states: 0 new, 1 on the current walk, 2 known to reach a root).
 */
function checkNoParentCycle(parents: (number | null)[]): void {
  const state = new Uint8Array(parents.length);
  for (let start = 0; start < parents.length; start++) {
    let at: number | null = start;
    while (at !== null && state[at] === 0) {
      state[at] = 1;
      at = parents[at]!;
    }
    if (at !== null && state[at] === 1) throw new ShapeError(`modules[${at}].parent`, 'not one of its own descendants (the parents form a cycle)', parents[at]);
    for (let mark: number | null = start; mark !== null && state[mark] === 1; mark = parents[mark]!) state[mark] = 2;
  }
}
