/**
 * Faults: output folders. Missing (made), unwritable, not a folder, read-only, on a full disk: each a
 * real `importcost profile`, and each refusal one line and exit 2 before the target runs (the target
 * writes a marker file when it starts: test/fixtures/faults/marks.js). Read-only and full disks are a
 * real tmpfs where root may mount one here (canMount(), as on CI), else the CLI's writes are made to
 * fail with the kernel's error codes (test/fixtures/faults/failing-writes.mjs); the test names say which.
 * (Output folders in /proc and below a file: test/hardening.test.ts and test/cli-profile.test.ts.)
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseReport } from '../../src/report/read-report.js';
import { canMount, expectOneLineError, faults, mountTmpfs, spawnCli, type Tmpfs } from './helpers.js';

const CAN_MOUNT = canMount();
const scratch = (): string => mkdtempSync(join(tmpdir(), 'importcost-faults-out-'));
/** A marker path outside the folder under test; the target writes it when it starts. */
const marker = (): string => join(scratch(), 'ran');

const mounts: Tmpfs[] = [];
afterEach(() => {
  for (const m of mounts.splice(0)) m.unmount();
});

/** Profile marks.js into `out`; `env` and `nodeArgs` go to the CLI. */
function profileInto(out: string, mark: string, options: { env?: Record<string, string>; nodeArgs?: string[] } = {}) {
  return spawnCli(['profile', '-q', '-o', out, '--name', 'run', faults('marks.js')], { env: { MARK: mark, ...options.env }, nodeArgs: options.nodeArgs });
}

/** Fill `dir` (on a small tmpfs) until the disk says it is full, less `leaveBytes`. */
function fill(dir: string, leaveBytes: number): void {
  const free = Number(execFileSync('df', ['-B1', '--output=avail', dir], { encoding: 'utf8' }).trim().split('\n')[1]);
  writeFileSync(join(dir, 'filler'), Buffer.alloc(Math.max(0, free - leaveBytes)));
}

describe('output folders', () => {
  it('missing, several levels deep, with spaces: made, and the report written there', async () => {
    const out = join(scratch(), 'not yet', 'made either', 'out');
    const run = await profileInto(out, marker());
    expect(run.code, run.stderr).toBe(0);
    expect(readdirSync(out).sort()).toEqual(['run.importcost.json', 'run.speedscope.json']);
  });

  it('not a folder (--out names a file): one line, exit 2, before the target runs, and the file untouched', async () => {
    const out = join(scratch(), 'a-file');
    writeFileSync(out, 'keep me\n');
    const mark = marker();
    const run = await profileInto(out, mark);
    expectOneLineError(run, /^importcost: cannot write to .*a-file \(ENOTDIR\)$/);
    expect(run.stderr).toMatch(/hint: .*a-file is not a folder; choose another folder with --out/);
    expect(existsSync(mark)).toBe(false);
  });

  it(`unwritable (mode 0555${process.getuid?.() === 0 ? ', importcost run as nobody: root writes anywhere' : ''}): one line, exit 2, before the target runs`, async () => {
    const parent = scratch();
    chmodSync(parent, 0o755);
    const out = join(parent, 'locked');
    mkdirSync(out, { mode: 0o555 });
    const mark = join(parent, 'ran');
    const asNobody = process.getuid?.() === 0 ? ['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', '--'] : [];
    // The marker's folder must be writable by the target for "it did not run" to mean anything.
    chmodSync(parent, 0o777);
    const run = await spawnCli(['profile', '-q', '-o', out, faults('marks.js')], { env: { MARK: mark }, prefix: asNobody });
    expectOneLineError(run, /^importcost: cannot write to .*locked \(EACCES\)$/);
    expect(run.stderr).toMatch(/hint: permission denied; choose another folder with --out/);
    expect(existsSync(mark)).toBe(false);
  });

  it(`read-only (${CAN_MOUNT ? 'a tmpfs remounted read-only' : 'writes failing with EROFS'}): one line, exit 2, before the target runs`, async () => {
    const mark = marker();
    let run;
    if (CAN_MOUNT) {
      const disk = mountTmpfs(256)!;
      mounts.push(disk);
      mkdirSync(join(disk.dir, 'out'));
      disk.readOnly();
      run = await profileInto(join(disk.dir, 'out'), mark);
    } else {
      const out = scratch();
      run = await profileInto(out, mark, { nodeArgs: ['--import', faults('failing-writes.mjs')], env: { IMPORTCOST_TEST_DIR: out, IMPORTCOST_TEST_WRITE_FAILS: 'EROFS' } });
    }
    expectOneLineError(run, /^importcost: cannot write to .* \(EROFS\)$/);
    expect(run.stderr).toMatch(/hint: the file system is read-only; choose another folder with --out/);
    expect(existsSync(mark)).toBe(false);
  });

  it(`on a full disk (${CAN_MOUNT ? 'a filled tmpfs' : 'writes failing with ENOSPC'}): one line, exit 2, before the target runs`, async () => {
    const mark = marker();
    let run;
    if (CAN_MOUNT) {
      const disk = mountTmpfs(256)!;
      mounts.push(disk);
      fill(disk.dir, 0);
      run = await profileInto(join(disk.dir, 'out'), mark);
    } else {
      const out = scratch();
      run = await profileInto(out, mark, { nodeArgs: ['--import', faults('failing-writes.mjs')], env: { IMPORTCOST_TEST_DIR: out, IMPORTCOST_TEST_WRITE_FAILS: 'ENOSPC' } });
    }
    expectOneLineError(run, /^importcost: cannot write to .* \((ENOSPC)\)$/);
    expect(run.stderr).toMatch(/hint: the disk is full; choose another folder with --out/);
    expect(existsSync(mark)).toBe(false);
  });

  it(`a disk that fills up while the target runs (${CAN_MOUNT ? 'a tmpfs with 4 KiB left' : 'report writes failing with ENOSPC'}): one line, exit 2, and no half-written file left`, async () => {
    const mark = marker();
    let run;
    let out: string;
    if (CAN_MOUNT) {
      const disk = mountTmpfs(256)!;
      mounts.push(disk);
      out = join(disk.dir, 'out');
      mkdirSync(out);
      // The folder's check writes a 4 KiB probe (and removes it): room for that, not for the report.
      fill(disk.dir, 4096);
      run = await profileInto(out, mark);
    } else {
      out = scratch();
      run = await profileInto(out, mark, {
        nodeArgs: ['--import', faults('failing-writes.mjs')],
        env: { IMPORTCOST_TEST_DIR: out, IMPORTCOST_TEST_WRITE_FAILS: 'ENOSPC', IMPORTCOST_TEST_AFTER_PROBE: '1' },
      });
    }
    expect(existsSync(mark), 'the target ran').toBe(true);
    expectOneLineError(run, /^importcost: cannot write .*run\.(speedscope|importcost)\.json \(the disk is full\)$/);
    // Whole or not at all: no temporary file, and no report that does not parse.
    const left = readdirSync(out).filter((f) => f !== 'filler');
    expect(left.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    for (const f of left.filter((f) => f.endsWith('.importcost.json'))) expect(() => parseReport(readFileSync(join(out, f), 'utf8'), f)).not.toThrow();
  });
});

