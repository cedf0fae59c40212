/**
 * What each builtin loads of Node's own modules when it is first required, with the builtins before it
 * already loaded: the Node internals (and public builtins) that a run in source order would have loaded
 * inside it. build-report.ts's sourceOrderClaims names the builtins that an import earlier in source order
 * required, after an ES module's link (later in source order) had loaded them first; this says which of
 * Node's modules go with each. In `import { S3Client } from '@aws-sdk/client-s3'; import got from 'got'`,
 * got's link imports node:http, whose load brings in _http_agent, _http_client and the rest, which the
 * client's later `require('node:https')` would have loaded first in a run in source order (its ground
 * truth): they are node:https's, so the client's.
 *
 * Measured after the fact, off the program's path: one fresh process of the target's own binary loads the
 * agent's builtins (they are loaded before the program, so theirs are in no one's), then the given
 * builtins in the given order, and lists what `process.moduleLoadList` gained with each. Deterministic,
 * so cached (probe.ts).
 */
import { cachedProbe, runProbe, scriptArgs } from './probe.js';

const PROBE = `
const require = process.mainModule?.require ?? (await import('node:module')).createRequire(process.cwd() + '/');
const [preload, names] = JSON.parse(process.argv[1]);
for (const name of preload) require(name);
const out = {};
let seen = process.moduleLoadList.length;
for (const name of names) {
  require(name);
  const list = process.moduleLoadList;
  out[name] = list.slice(seen).filter((entry) => entry.startsWith('NativeModule ')).map((entry) => entry.slice(13));
  seen = list.length;
}
process.stdout.write(JSON.stringify(out));
`;

/**
 * By builtin name (`https`), the Node modules (`_http_agent`, `internal/http`, ...) its first require
 * loaded after the ones before it in `names`. `esm`: the program's entry is an ES module (Node's ESM loader
 * has then loaded modules of its own before the first line). Empty where the probe failed.
 */
export async function builtinLoads(node: string, esm: boolean, agentBuiltins: string[], names: string[]): Promise<Record<string, string[]>> {
  if (names.length === 0) return {};
  const answer = await cachedProbe(node, ['builtin-loads', esm, agentBuiltins, names], () =>
    runProbe<Record<string, string[]>>(node, scriptArgs(PROBE, esm, [agentBuiltins, names])),
  );
  return answer ?? {};
}
