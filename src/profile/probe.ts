/**
 * A measuring script run in a fresh process of the target's own Node, after the fact and off the
 * program's path (builtin-costs.ts, esm-first-use.ts). Its heap readings must repeat from run to run, as
 * a difference of readings needs: `--no-flush-bytecode`, as the ground truth (else a GC between two loads
 * flushes an earlier one's bytecode: Node 20's perf_hooks read 53 kB or 272 kB); single-threaded and
 * without Sparkplug (with them, Node 26's node:dns read 29 or 446 kB; without, every run the same).
 */
import { execFile } from 'node:child_process';

/** A probe never holds the run up for long. */
const PROBE_TIMEOUT_MS = 10_000;
const FLAGS = ['--expose-gc', '--no-flush-bytecode', '--single-threaded', '--no-sparkplug'];

/** The JSON the script printed, or null where it failed, timed out or printed something else. */
export function runProbe<T>(node: string, args: string[]): Promise<T | null> {
  return new Promise((resolve) => {
    execFile(node, [...FLAGS, ...args], { timeout: PROBE_TIMEOUT_MS, env: {} }, (err, stdout) => {
      if (err) return resolve(null);
      try {
        resolve(JSON.parse(stdout) as T);
      } catch {
        resolve(null);
      }
    });
  });
}
