/**
 * Faults: two runs writing the same files at once. Reports are written to a temporary name and renamed
 * over (src/profile/write-atomically.ts), so a reader, or the other run, sees one whole file or the other,
 * never a mix or a cut. Checked with two real profile runs into the same --out and --name while a reader
 * keeps reading, and with two writer processes putting large files through the same function at once.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseReport } from '../../src/report/read-report.js';
import { ROOT } from '../helpers/run.js';
import { faults, spawnCli } from './helpers.js';

/**
 * Read `file` again and again until `done` resolves: how many reads found it, and the reads that were
 * not whole (`check` threw on them).
 */
async function readWhile(file: string, done: Promise<unknown>, check: (text: string) => void): Promise<{ reads: number; broken: string[] }> {
  let finished = false;
  void done.finally(() => (finished = true));
  let reads = 0;
  const broken: string[] = [];
  while (!finished) {
    let text: string | null = null;
    try {
      text = readFileSync(file, 'utf8');
    } catch {
      // Not there yet.
    }
    if (text !== null) {
      reads++;
      try {
        check(text);
      } catch (err) {
        broken.push(`${text.length} bytes: ${(err as Error).message}`);
      }
    }
    // Yield to the event loop, so the child processes' output is read (a few hundred reads a second).
    await new Promise((resolveTick) => setImmediate(resolveTick));
  }
  return { reads, broken };
}

describe('two runs writing the same files at once', () => {
  it('both finish, and every read of the report during and after is one whole, valid report', async () => {
    const out = mkdtempSync(join(tmpdir(), 'importcost-faults-same-'));
    const args = (entry: string) => ['profile', '-q', '-o', out, '--name', 'same', entry];
    // Two programs of different sizes, so the two reports differ and either may land last.
    const runs = Promise.all([spawnCli(args(join(ROOT, 'examples', 'express-server', 'server.js'))), spawnCli(args(faults('marks.js')), { env: { MARK: join(out, 'ran') } })]);
    const seen = await readWhile(join(out, 'same.importcost.json'), runs, (text) => parseReport(text, 'same.importcost.json'));
    const [a, b] = await runs;
    expect(a.code, a.stderr).toBe(0);
    expect(b.code, b.stderr).toBe(0);
    expect(seen.broken).toEqual([]);
    expect(seen.reads).toBeGreaterThan(0);
    const report = parseReport(readFileSync(join(out, 'same.importcost.json'), 'utf8'), 'same');
    expect(['server.js', 'marks.js']).toContain(report.modules[0]!.path.split('/').pop());
    expect(JSON.parse(readFileSync(join(out, 'same.speedscope.json'), 'utf8')).profiles).toHaveLength(3);
    expect(readdirSync(out).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('two processes writing 4 MB files through writeFileAtomically, 30 times each: a reader never sees a cut file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'importcost-faults-atomic-'));
    const file = join(dir, 'shared.json');
    // Each writer writes a JSON array of one letter repeated 4 MB: whole, it parses and holds one letter
    // only. A plain writeFileSync of 4 MB takes several write() calls, and a reader sees it cut.
    const writer = (letter: string) =>
      new Promise<number | null>((resolveWriter) => {
        const script = `
          const { writeFileAtomically } = await import(${JSON.stringify(join(ROOT, 'dist', 'profile', 'write-atomically.js'))});
          const text = JSON.stringify(['${letter}'.repeat(4_000_000)]);
          for (let i = 0; i < 30; i++) writeFileAtomically(${JSON.stringify(file)}, text);`;
        spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: 'inherit' }).on('close', resolveWriter);
      });
    const writers = Promise.all([writer('a'), writer('b')]);
    const seen = await readWhile(file, writers, (text) => {
      const [value] = JSON.parse(text) as [string];
      if (!/^(a+|b+)$/.test(value) || value.length !== 4_000_000) throw new Error('mixed or short');
    });
    expect(await writers).toEqual([0, 0]);
    expect(seen.broken).toEqual([]);
    expect(seen.reads).toBeGreaterThan(10);
    expect(readdirSync(dir)).toEqual(['shared.json']);
    expect(existsSync(file)).toBe(true);
  });
});
