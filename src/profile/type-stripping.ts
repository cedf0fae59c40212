/**
 * A TypeScript entry (.ts, .mts, .cts) run by a Node that cannot strip its types: Node 20 and Node 22
 * before 22.18 stop with ERR_UNKNOWN_FILE_EXTENSION and a stack trace. Caught before the target runs,
 * as one line naming the fix.
 */
import { spawnSync } from 'node:child_process';
import { usageError } from '../errors.js';

const TS_ENTRY = /\.[cm]?ts$/i;
/** Flags that bring a loader or turn stripping on: with one of these, the entry is the user's business. */
const LOADER_FLAG = /^(--import|--loader|--experimental-loader|-r|--require|--experimental-strip-types|--experimental-transform-types)(=|$)/;

/** Node 22.18+, 23.6+ and 24+ strip types by default. */
function stripsTypesByDefault(version: string): boolean {
  const [major = 0, minor = 0] = version.replace(/^v/, '').split('.').map(Number);
  return major >= 24 || (major === 23 && minor >= 6) || (major === 22 && minor >= 18);
}

/** The target node's version: the running one's, or asked of another binary (`node --version`: 10 ms or less warm, 190 ms cold, measured on Node 24; .ts entries only). */
function versionOf(node: string): string | null {
  if (node === process.execPath) return process.version;
  const run = spawnSync(node, ['--version'], { encoding: 'utf8', timeout: 10_000 });
  return run.status === 0 ? run.stdout.trim() : null;
}

/** Throws a usage error (exit 2) for a .ts entry that `node` would refuse. */
export function checkTypeScriptEntry(entry: string, node: string, nodeArgs: readonly string[], nodeOptions: string | undefined): void {
  if (!TS_ENTRY.test(entry)) return;
  const words = [...nodeArgs, ...(nodeOptions ?? '').split(/\s+/)];
  if (words.some((word) => LOADER_FLAG.test(word))) return;
  const version = versionOf(node);
  if (version === null || stripsTypesByDefault(version)) return;
  throw usageError(
    `Node ${version} cannot run the TypeScript entry ${entry}`,
    `use Node 22.18+ (it strips types itself: --node <path>), or a loader: importcost profile -- node --import tsx ${entry}`,
  );
}
