/**
 * importcost.config.json (or .js / .mjs, or the `importcost` field of package.json): the entry to profile
 * and the budgets `importcost check` holds it to. `validateConfig` is pure and names the bad field in a
 * one-line ConfigError (exit 2); `loadConfig` finds and reads the file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { configError, isImportcostError } from '../errors.js';
import type { Until } from '../profile/run-profile.js';
import { parseCount, parsePercent, parseSize, parseTime } from './units.js';

/** Growth allowed over the baseline: a fraction (0.05 for "5%") or an absolute amount in the metric's unit. */
export type IncreaseLimit = { percent: number } | { absolute: number };

export interface MaxIncrease {
  /** bytes */
  heap?: IncreaseLimit;
  /** ms (median of the runs) */
  loadTime?: IncreaseLimit;
  modules?: IncreaseLimit;
  /** bytes, per package (a newly loaded package grows from 0) */
  packages?: IncreaseLimit;
}

export interface Budgets {
  /** bytes: heap at the end of start-up, without importcost's own bookkeeping. */
  heap?: number;
  /** ms: wall time of loading the entry and everything it imports (median of the runs). */
  loadTime?: number;
  /** modules loaded at start-up (builtins included). */
  modules?: number;
  /** bytes a package may retain, inclusive (everything it loaded first), by name pattern ("@aws-sdk/*", "*"). */
  packages?: Record<string, number>;
  /** Name patterns of packages that must not load at start-up at all. */
  forbid?: string[];
  maxIncrease?: MaxIncrease;
}

export interface ImportcostConfig {
  /** Entry file, absolute (resolved against the config's folder). */
  entry?: string;
  args?: string[];
  until?: Until;
  /** Profile this many times; time budgets use the median. */
  runs?: number;
  /** Which process or thread the budgets apply to (CheckOptions.process): main by default. */
  process?: string;
  budgets: Budgets;
  /** Folder the config lives in: the entry runs from there. */
  dir: string;
  /** The file it came from, for messages (`package.json#importcost` for the field). */
  source: string;
}

export const CONFIG_FILES = ['importcost.config.json', 'importcost.config.js', 'importcost.config.mjs'] as const;

/** More runs than this in a config is a typo, not a plan: each is a whole profile of the program (about a second or more). */
const MAX_RUNS = 100;
const HINT = 'sizes look like "60 MB", times "800 ms", growth "5%"; see the README section "CI budgets"';
const METRICS = ['heap', 'loadTime', 'modules', 'packages'] as const;
type Metric = (typeof METRICS)[number];

/** A value as the message shows it: JSON, on one line, cut at 60 characters (a value may be huge or deeply nested). */
const show = (value: unknown): string => {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    // Nested too deeply for JSON.stringify's stack.
    text = Array.isArray(value) ? 'an array' : 'an object';
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
};
/** A key from the config, as a field name in a message: as written when it is a plain name, else quoted by show. */
const key = (name: string): string => (/^[\w$@*./-]{1,60}$/.test(name) ? name : show(name));
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], where: string, source: string): void {
  for (const name of Object.keys(obj)) {
    if (!allowed.includes(name)) {
      throw configError(`${source}: unknown field ${where}${key(name)}`, `expected one of ${allowed.join(', ')}`);
    }
  }
}

function size(value: unknown, field: string, source: string): number {
  const bytes = parseSize(value);
  if (bytes === null) throw configError(`${source}: ${field} must be a size such as "60 MB", got ${show(value)}`, HINT);
  return bytes;
}

function time(value: unknown, field: string, source: string): number {
  const ms = parseTime(value);
  if (ms === null) throw configError(`${source}: ${field} must be a time such as "800 ms", got ${show(value)}`, HINT);
  return ms;
}

function count(value: unknown, field: string, source: string): number {
  const n = parseCount(value);
  if (n === null) throw configError(`${source}: ${field} must be a whole number of modules, got ${show(value)}`, HINT);
  return n;
}

/** `"5%"`, or an amount in the metric's unit: `"2 MB"`, `"100 ms"`, `20`. */
export function parseIncrease(metric: Metric, value: unknown, field: string, source: string): IncreaseLimit {
  const percent = parsePercent(value);
  if (percent !== null) return { percent };
  const parse = metric === 'loadTime' ? parseTime : metric === 'modules' ? parseCount : parseSize;
  const absolute = parse(value);
  if (absolute === null) {
    const example = metric === 'loadTime' ? '"100 ms"' : metric === 'modules' ? '20' : '"2 MB"';
    throw configError(`${source}: ${field} must be a percentage such as "5%" or an amount such as ${example}, got ${show(value)}`, HINT);
  }
  return { absolute };
}

/**
 * A bare percentage ("5%") gates the stable metrics: heap bytes and the module count. Load time (noisy on
 * shared CI machines) and single packages (sampling error of a few percent each) are gated only when named.
 */
export function parseMaxIncrease(value: unknown, field: string, source: string): MaxIncrease {
  if (typeof value === 'string' || typeof value === 'number') {
    const percent = parsePercent(value);
    if (percent === null) {
      throw configError(`${source}: ${field} must be a percentage such as "5%" (or an object with heap, loadTime, modules, packages), got ${show(value)}`, HINT);
    }
    return { heap: { percent }, modules: { percent } };
  }
  if (!isObject(value)) throw configError(`${source}: ${field} must be "5%" or an object such as { "heap": "2 MB" }, got ${show(value)}`, HINT);
  unknownKeys(value, METRICS, `${field}.`, source);
  const out: MaxIncrease = {};
  for (const metric of METRICS) {
    if (value[metric] !== undefined) out[metric] = parseIncrease(metric, value[metric], `${field}.${metric}`, source);
  }
  return out;
}

function parseUntilValue(value: unknown, source: string): Until {
  if (value === 'auto' || value === 'exit' || value === 'listening' || value === 'idle') return value;
  const ms = parseTime(value);
  if (ms === null || (typeof value === 'string' && !/\d/.test(value))) {
    throw configError(`${source}: until must be auto, exit, listening, idle or a time such as "5 s", got ${show(value)}`, HINT);
  }
  return ms;
}

/** Check a parsed config object. Pure: `dir` is where the config lives, `source` names it in messages. */
export function validateConfig(data: unknown, dir: string, source: string): ImportcostConfig {
  if (!isObject(data)) throw configError(`${source}: expected an object, got ${show(data)}`, 'see the README section "CI budgets"');
  unknownKeys(data, ['$schema', 'entry', 'args', 'until', 'runs', 'process', 'budgets'], '', source);
  const config: ImportcostConfig = { budgets: {}, dir, source };
  if (data.entry !== undefined) {
    if (typeof data.entry !== 'string' || data.entry === '') throw configError(`${source}: entry must be a file path, got ${show(data.entry)}`, 'e.g. "entry": "src/server.js"');
    config.entry = resolve(dir, data.entry);
  }
  if (data.args !== undefined) {
    if (!Array.isArray(data.args) || !data.args.every((a) => typeof a === 'string')) {
      throw configError(`${source}: args must be an array of strings, got ${show(data.args)}`, 'e.g. "args": ["--port", "0"]');
    }
    config.args = data.args as string[];
  }
  if (data.until !== undefined) config.until = parseUntilValue(data.until, source);
  if (data.process !== undefined) {
    if (typeof data.process !== 'string' || !/^[\w-]+$/.test(data.process)) {
      throw configError(`${source}: process must be main, a role or a label, got ${show(data.process)}`, 'e.g. "process": "cluster-worker"');
    }
    config.process = data.process;
  }
  if (data.runs !== undefined) {
    const runs = parseCount(data.runs);
    if (runs === null || runs < 1 || runs > MAX_RUNS) throw configError(`${source}: runs must be a whole number from 1 to ${MAX_RUNS}, got ${show(data.runs)}`, 'e.g. "runs": 3');
    config.runs = runs;
  }
  if (data.budgets === undefined) return config;
  const b = data.budgets;
  if (!isObject(b)) throw configError(`${source}: budgets must be an object, got ${show(b)}`, 'e.g. "budgets": { "heap": "60 MB" }');
  unknownKeys(b, ['heap', 'loadTime', 'modules', 'packages', 'forbid', 'maxIncrease'], 'budgets.', source);
  const budgets = config.budgets;
  if (b.heap !== undefined) budgets.heap = size(b.heap, 'budgets.heap', source);
  if (b.loadTime !== undefined) budgets.loadTime = time(b.loadTime, 'budgets.loadTime', source);
  if (b.modules !== undefined) budgets.modules = count(b.modules, 'budgets.modules', source);
  if (b.packages !== undefined) {
    if (!isObject(b.packages)) throw configError(`${source}: budgets.packages must map package names to sizes, got ${show(b.packages)}`, 'e.g. { "@aws-sdk/*": "8 MB", "*": "10 MB" }');
    budgets.packages = {};
    for (const [pattern, value] of Object.entries(b.packages)) {
      budgets.packages[pattern] = size(value, `budgets.packages[${show(pattern)}]`, source);
    }
  }
  if (b.forbid !== undefined) {
    const list = typeof b.forbid === 'string' ? [b.forbid] : b.forbid;
    if (!Array.isArray(list) || !list.every((p) => typeof p === 'string' && p !== '')) {
      throw configError(`${source}: budgets.forbid must be an array of package names, got ${show(b.forbid)}`, 'e.g. "forbid": ["typescript", "puppeteer"]');
    }
    budgets.forbid = list as string[];
  }
  if (b.maxIncrease !== undefined) budgets.maxIncrease = parseMaxIncrease(b.maxIncrease, 'budgets.maxIncrease', source);
  return config;
}

/**
 * Find and read the config: `file` when given, else the first of importcost.config.json/.js/.mjs and the
 * `importcost` field of package.json in `cwd`. Null when there is none.
 */
export async function loadConfig(cwd: string, file?: string): Promise<ImportcostConfig | null> {
  if (file !== undefined) {
    const path = resolve(cwd, file);
    if (!existsSync(path)) throw configError(`cannot find the config file ${file}`, `looked in ${cwd}`);
    return readConfigFile(path);
  }
  for (const name of CONFIG_FILES) {
    const path = join(cwd, name);
    if (existsSync(path)) return readConfigFile(path);
  }
  const pkgPath = join(cwd, 'package.json');
  if (existsSync(pkgPath)) {
    const pkg = parseJson(readFileSync(pkgPath, 'utf8'), 'package.json');
    if (isObject(pkg) && pkg.importcost !== undefined) return validateConfig(pkg.importcost, cwd, 'package.json#importcost');
  }
  return null;
}

async function readConfigFile(path: string): Promise<ImportcostConfig> {
  const dir = dirname(path);
  const source = path.slice(dir.length + 1);
  if (path.endsWith('.json')) {
    const data = parseJson(readFileSync(path, 'utf8'), source);
    // A package.json given with --config: its importcost field.
    if (source === 'package.json') return validateConfig(isObject(data) ? data.importcost : undefined, dir, 'package.json#importcost');
    return validateConfig(data, dir, source);
  }
  const failed = (err: unknown) =>
    configError(`${source} failed to load: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}`, 'run it with node to see the whole error');
  let mod: { default?: unknown };
  try {
    mod = (await import(pathToFileURL(path).href)) as { default?: unknown };
  } catch (err) {
    throw failed(err);
  }
  if (mod.default === undefined) throw configError(`${source} has no default export`, 'export the config: export default { entry: ..., budgets: ... } (or module.exports = ...)');
  try {
    return validateConfig(mod.default, dir, source);
  } catch (err) {
    // A module's config is code: a getter of its own may throw while the fields are read.
    if (isImportcostError(err)) throw err;
    throw failed(err);
  }
}

function parseJson(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw configError(`${source} is not valid JSON: ${(err as Error).message.split('\n')[0]}`, 'fix the JSON syntax (no comments or trailing commas)');
  }
}
