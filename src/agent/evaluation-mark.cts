/**
 * --esm-evaluation: the line the load hooks append to each ESM module's source, and the global it calls
 * once the module's body has run. Shared by the in-thread hooks (agent.cts, Node 22.15+) and the
 * off-thread ones (esm-hooks.mts, Node 20). Built-ins only.
 */

/** Key of the global (a registered symbol; the agent defines it not enumerable) the appended line calls. */
const EVALUATED_KEY = 'importcost.evaluated';

/**
 * The source with the line appended: appended, so no line or column of the module moves; a module that
 * throws never reaches it. Bytes stay bytes, so Node decodes the source where it always does (the
 * analysis shares that out by source size); on Node 20 a string would be copied into the main thread
 * inside the hooks' proxy instead (the agent's bucket: +3.5 MB measured on the bench's ESM app).
 */
function evaluationMark(source: string | ArrayBufferView | ArrayBuffer, url: string): string | Uint8Array {
  const line = `\n;try { globalThis[Symbol.for(${JSON.stringify(EVALUATED_KEY)})]?.(${JSON.stringify(url)}); } catch {}\n`;
  if (typeof source === 'string') return source + line;
  const bytes = source instanceof ArrayBuffer ? new Uint8Array(source) : new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  const mark = new TextEncoder().encode(line);
  const out = new Uint8Array(bytes.length + mark.length);
  out.set(bytes);
  out.set(mark, bytes.length);
  return out;
}

export = { EVALUATED_KEY, evaluationMark };
