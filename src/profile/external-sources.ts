/**
 * Whether the target's Node keeps a long decoded source outside V8's heap. Node's ESM loader decodes a
 * module's source with TextDecoder, and on Node 24 and 26 TextDecoder returns an external string (its text
 * in memory V8 does not count in heapUsed) from 1,031,913 characters on (Node's EXTERN_APEX, 0xFBEE9), one
 * byte or two a character alike; on Node 20 and 22 the string is on the heap whatever its length.
 * Measured with ES modules of a comment and one export, imported between full GCs: 1,031,912 characters
 * of Latin-1 retain 1.05 MB on Node 24 and 26, one more retains 15-24 kB and 1.03 MB outside the heap.
 *
 * So such a source's decoding leaves nothing in the loader's decode pool, and the pool is not shared to
 * it: vite's 1.34 M-character chunk (2.7 MB as a two-byte string) took 1.32 MB of the 2.2 MB that decoding
 * zod's 95 files kept, and zod read -24% behind vite on Node 26.
 *
 * Measured after the fact, off the program's path, in a fresh process of the target's own Node, only where
 * the program loaded a source that long through the loader; cached like the other probes (probe.ts).
 */
import { cachedProbe, runProbe, scriptArgs } from './probe.js';

/** Node's EXTERN_APEX: the length from which it makes a decoded string external, where it does. */
export const EXTERN_APEX = 0xfbee9;

const PROBE = `
const [length] = JSON.parse(process.argv[1]);
const bytes = new Uint8Array(length).fill(97);
const before = process.memoryUsage().external;
const text = new TextDecoder().decode(bytes);
const grown = process.memoryUsage().external - before;
process.stdout.write(JSON.stringify({ external: text.length === length && grown >= length }));
`;

/**
 * The source length (characters) from which the loader's decoded source is outside the heap on this
 * Node, 0 where it never is, or null where the probe failed.
 */
export async function externalSourceLength(node: string): Promise<number | null> {
  const answer = await cachedProbe(node, ['external-sources', EXTERN_APEX], () => runProbe<{ external: boolean }>(node, scriptArgs(PROBE, false, [EXTERN_APEX])));
  if (!answer || typeof answer.external !== 'boolean') return null;
  return answer.external ? EXTERN_APEX : 0;
}
