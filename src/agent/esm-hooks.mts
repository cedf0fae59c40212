/**
 * Off-thread ESM hooks for Node < 22.15 (registered by agent.cts with module.register).
 * They see who imports what (resolve: parentURL) and when each source is loaded, and append one JSON
 * line per new import edge and per first load to a SharedArrayBuffer the main thread reads once, after
 * the run. Every edge is kept, in order: the analysis walks the graph depth-first the way ESM evaluates.
 * Layout: Int32 [0] = bytes written, Int32 [1] = 1 once an event did not fit; events from byte 8.
 * Built-ins only; results pass through untouched, but for one line appended to each ESM module's source
 * with --esm-evaluation (evaluationMark).
 */
import type { EsmEvent } from '../recording/format.js';
import evaluation from './evaluation-mark.cjs';

let header: Int32Array | undefined;
let bytes: Uint8Array | undefined;
const encoder = new TextEncoder();
const seenResolved = new Set<string>();
const seenLoaded = new Set<string>();
const epoch = (): number => performance.timeOrigin + performance.now();

/** --esm-evaluation: append evaluationMark's line to each ESM module's source. */
let markEvaluation = false;

export function initialize(data: { shared: SharedArrayBuffer; markEvaluation?: boolean }): void {
  header = new Int32Array(data.shared, 0, 2);
  bytes = new Uint8Array(data.shared, 8);
  markEvaluation = data.markEvaluation === true;
}

function put(event: EsmEvent): void {
  if (!header || !bytes) return;
  const line = encoder.encode(`${JSON.stringify(event)}\n`);
  const offset = Atomics.load(header, 0);
  if (offset + line.length > bytes.length) {
    Atomics.store(header, 1, 1);
    return;
  }
  bytes.set(line, offset);
  Atomics.store(header, 0, offset + line.length);
}

type Next<R> = (first: string, context: any) => R | Promise<R>;

export async function resolve(
  specifier: string,
  context: { parentURL?: string },
  nextResolve: Next<{ url: string; format?: string | null }>,
): Promise<{ url: string; format?: string | null }> {
  const result = await nextResolve(specifier, context);
  const edge = `${context.parentURL}\n${result.url}`;
  if (!seenResolved.has(edge)) {
    seenResolved.add(edge);
    put({ t: 'r', url: result.url, parentURL: context.parentURL, specifier, format: result.format });
  }
  return result;
}

export async function load(
  url: string,
  context: object,
  nextLoad: Next<{ format?: string | null; source?: string | ArrayBufferView | ArrayBuffer | null }>,
): Promise<unknown> {
  if (seenLoaded.has(url)) return nextLoad(url, context);
  seenLoaded.add(url);
  const start = epoch();
  const result = await nextLoad(url, context);
  const source = result.source;
  put({
    t: 'l',
    url,
    format: result.format,
    start,
    end: epoch(),
    size: source == null ? undefined : typeof source === 'string' ? source.length : source.byteLength,
  });
  if (markEvaluation && result.format === 'module' && url.startsWith('file:') && source != null) return { ...result, source: evaluation.evaluationMark(source, url) };
  return result;
}
