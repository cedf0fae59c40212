/**
 * Helpers of the fault-injection suite (test/faults/): the real CLI with the stdin a case needs and a
 * bound on its time, /proc checks, a small tmpfs where this machine lets root mount one, and the shape
 * every known error must have (one line, a hint, exit 2, no stack).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import { BIN, ROOT } from '../helpers/run.js';

export const faults = (...parts: string[]): string => join(ROOT, 'test', 'fixtures', 'faults', ...parts);

/** Whether `pid` runs (it exists and is not a zombie waiting to be reaped), from /proc. */
export function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat[stat.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return false;
  }
}

export interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Run `node [nodeArgs] bin/importcost.js <args>` as a real process, under `prefix` when given (setpriv
 * to run it as another user). `stdin`: a string piped in and then ended, `closed` (descriptor 0 closed,
 * through a shell), or nothing (/dev/null). Killed with its process group after `timeoutMs`, which fails
 * the test: nothing may hang.
 */
export function spawnCli(
  args: string[],
  options: { cwd?: string; env?: Record<string, string>; stdin?: string | 'closed'; timeoutMs?: number; nodeArgs?: string[]; prefix?: string[] } = {},
): Promise<Spawned> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const closed = options.stdin === 'closed';
  const command = [...(options.prefix ?? []), ...(closed ? ['/bin/sh', '-c', 'exec "$0" "$@" <&-'] : []), process.execPath, ...(options.nodeArgs ?? []), BIN, ...args];
  const [file, ...argv] = command as [string, ...string[]];
  const started = Date.now();
  return new Promise((resolveRun, reject) => {
    const child = spawn(file, argv, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, NO_COLOR: '1', ...options.env },
      stdio: [typeof options.stdin === 'string' && !closed ? 'pipe' : 'ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d) => (stdout += d));
    child.stderr!.on('data', (d) => (stderr += d));
    if (child.stdin) {
      child.stdin.on('error', () => {});
      child.stdin.end(options.stdin);
    }
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // Gone meanwhile.
      }
      reject(new Error(`importcost ${args.join(' ')} still ran after ${timeoutMs} ms; stderr: ${stderr}`));
    }, timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolveRun({ code, signal, stdout, stderr, ms: Date.now() - started });
    });
  });
}

/** A known error as the CLI prints it: `importcost: <message>` and `  hint: <hint>`, nothing else, exit 2. */
export function expectOneLineError(run: { code: number | null; stderr: string }, message: RegExp): void {
  expect(run.code, run.stderr).toBe(2);
  const lines = run.stderr.trimEnd().split('\n');
  expect(lines, run.stderr).toHaveLength(2);
  expect(lines[0]).toMatch(/^importcost: /);
  expect(lines[0]).toMatch(message);
  expect(lines[1]).toMatch(/^ {2}hint: \S/);
}

export interface Tmpfs {
  dir: string;
  /** Remount it read-only. */
  readOnly(): void;
  unmount(): void;
}

/**
 * A tmpfs of `kib` KiB mounted on a fresh folder, or null where this process may not mount one (not
 * root, or a container without CAP_SYS_ADMIN). Every mount and unmount is bounded to 10 s.
 */
export function mountTmpfs(kib: number): Tmpfs | null {
  const dir = mkdtempSync(join(tmpdir(), 'importcost-tmpfs-'));
  const run = (args: string[]): boolean => {
    try {
      execFileSync('mount', args, { stdio: 'ignore', timeout: 10_000 });
      return true;
    } catch {
      return false;
    }
  };
  if (!run(['-t', 'tmpfs', '-o', `size=${kib}k,mode=0755`, 'importcost-test', dir])) {
    rmSync(dir, { recursive: true, force: true });
    return null;
  }
  return {
    dir,
    readOnly: () => {
      if (!run(['-o', 'remount,ro', dir])) throw new Error(`cannot remount ${dir} read-only`);
    },
    unmount: () => {
      // Lazily, so a file still open by a process of a failed test cannot keep it mounted.
      execFileSync('umount', ['-l', dir], { stdio: 'ignore', timeout: 10_000 });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let mountable: boolean | undefined;
/**
 * Whether root may mount a tmpfs here: tried once, so the tests name the way they ran.
 * IMPORTCOST_TEST_NO_MOUNT=1 takes the other way (to check it where mounting works).
 */
export function canMount(): boolean {
  if (mountable === undefined) {
    const probe = process.env.IMPORTCOST_TEST_NO_MOUNT === '1' ? null : mountTmpfs(64);
    probe?.unmount();
    mountable = probe !== null;
  }
  return mountable;
}

/** A seeded generator (mulberry32): the same cases every run, so a failure names its seed and repeats. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
