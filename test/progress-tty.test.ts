/**
 * The progress line as a person sees it: the real CLI in a real terminal (tmux), the screen read back
 * with capture-pane. And what the same commands print where there is no terminal (pipes), or with -q.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { pickStyle } from '../src/reporters/style.js';
import { BIN, fixture, runCli } from './helpers/run.js';
import { HAS_TMUX, TmuxPane } from './helpers/tmux.js';

const CHATTY = fixture('cli', 'chatty');
const ESC = '\u001b';
/** The progress line as drawn: the step, then the seconds it has run. */
const PROGRESS_ROW = /^importcost: profiling .+ {2}\d+\.\d s$/;
/** What the fixture prints, in order (test/fixtures/cli/chatty/app.cjs). */
const chattyLines = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => (i === 14 ? 'line 15 is half written, then red' : `line ${i + 1}`));

const made: string[] = [];
const tempDir = (): string => {
  made.push(mkdtempSync(join(tmpdir(), 'importcost-tty-')));
  return made.at(-1)!;
};
afterAll(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

let pane: TmuxPane | null = null;
afterEach(() => {
  pane?.kill();
  pane = null;
});

/**
 * A shell script for the pane: the command, its exit code, then 11 full lines and one without a
 * newline. Where the whole screen scrolls again, that last one ends up on the bottom row.
 */
const script = (command: string): string =>
  `trap ':' INT; cd ${CHATTY}; ${command}; echo EXIT=$?; printf 'after %s\\n' $(seq 1 11); printf last; sleep 60`;
const cli = (args: string, env = ''): string => `env -u NO_COLOR -u FORCE_COLOR ${env} ${process.execPath} ${BIN} ${args}`;

describe.runIf(HAS_TMUX || process.env.CI)('on a terminal', () => {
  it("profile: the line stays on the bottom row while the program's output scrolls above it, untouched, through a resize; then the screen is whole again", async () => {
    const out = tempDir();
    // 30 lines at 100 ms: the program talks for 3 s, through 9 scrolling rows many times over.
    pane = new TmuxPane(script(cli(`profile --until exit -o ${out} app.cjs 30 100`)), 80, 10);
    // Mid-run: the line is up and the output has scrolled past the top (line 12 on screen).
    const mid = await pane.waitFor((rows) => PROGRESS_ROW.test(rows[9]!) && rows.includes('line 12'), 15_000);
    expect(mid[9]).toMatch(/^importcost: profiling app\.cjs 30 100 \(until exit\)(, \d+ modules? loaded)? {2}\d\.\d s$/);
    // Every row above it holds one of the program's lines, whole and in order (the empty row is the
    // cursor's, under the last one).
    const above = mid.slice(0, 9).filter((row) => row !== '');
    const first = chattyLines(30).indexOf(above[0]!);
    expect(first).toBeGreaterThanOrEqual(0);
    expect(above).toEqual(chattyLines(30).slice(first, first + above.length));

    // A taller terminal: the line moves to the new bottom row, and no row of the program's is lost.
    pane.resize(14);
    await pane.waitFor((rows) => rows.length === 14 && PROGRESS_ROW.test(rows[13]!), 5_000);

    const end = await pane.waitFor((rows) => rows.some((row) => row.startsWith('EXIT=')), 30_000, { history: true });
    expect(end).toContain('EXIT=0');
    // Everything the program printed, once each, in order (line 15's two halves on one row, though the
    // line was redrawn between them), and no progress line left anywhere.
    expect(end.filter((row) => row.startsWith('line '))).toEqual(chattyLines(30));
    expect(end.some((row) => row.includes('importcost: profiling'))).toBe(false);
    expect(end.some((row) => row.startsWith('importcost  '))).toBe(true);
    // The whole screen scrolls again: the shell's last word lands on the bottom row.
    const screen = await pane.waitFor((rows) => rows.includes('after 11'), 5_000);
    expect(screen[13]).toBe('last');
    // Colours on a terminal: the summary's name in bold.
    const coloured = pane.capture({ history: true, escapes: true }).join('\n');
    expect(coloured).toContain(`${ESC}[1mimportcost`);
  });

  it('check --runs 3: the line names the run; NO_COLOR: no colours of ours', async () => {
    pane = new TmuxPane(script(cli(`check --runs 3 -o ${tempDir()}`, 'NO_COLOR=1')), 80, 10);
    const mid = await pane.waitFor((rows) => /^importcost: profiling app\.cjs \(run [23] of 3\) {2}\d+\.\d s$/.test(rows[9]!), 20_000);
    expect(mid.slice(0, 9).some((row) => row.includes('importcost: profiling'))).toBe(false);
    const end = await pane.waitFor((rows) => rows.some((row) => row.startsWith('EXIT=')), 30_000, { history: true });
    expect(end).toContain('EXIT=0');
    expect(end.some((row) => row.startsWith('importcost check: ok, all 1 budgets hold (3 runs)'))).toBe(true);
    expect(end.some((row) => row.includes('importcost: profiling'))).toBe(false);
    // (check hides the program's own output, so every escape on the screen would be ours.)
    expect(pane.capture({ history: true, escapes: true }).join('\n')).not.toContain(ESC);
    expect((await pane.waitFor((rows) => rows.includes('after 11'), 5_000))[9]).toBe('last');
  });

  it('Ctrl-C while the line is up: importcost ends as Ctrl-C ends it, and gives the whole screen back first', async () => {
    pane = new TmuxPane(script(cli(`check --runs 6 -o ${tempDir()}`)), 80, 10);
    await pane.waitFor((rows) => PROGRESS_ROW.test(rows[9]!), 20_000);
    pane.sendKeys('C-c');
    const end = await pane.waitFor((rows) => rows.includes('after 11'), 10_000, { history: true });
    // 128 + SIGINT's 2: killed by the signal, as without the line.
    expect(end.some((row) => row.endsWith('EXIT=130'))).toBe(true); // (after the ^C the terminal echoes)
    expect(end.some((row) => row.includes('importcost: profiling'))).toBe(false);
    expect(pane.capture()[9]).toBe('last');
  });
});

describe('where there is no terminal', () => {
  it('profile: one plain line per step, no escapes; -q: nothing; FORCE_COLOR=1: colours even so', async () => {
    const plain = await runCli(['profile', '--until', 'exit', join(CHATTY, 'app.cjs'), '3', '10']);
    expect(plain.code).toBe(0);
    expect(plain.stderr.split('\n')[0]).toBe(`importcost: profiling ${join(CHATTY, 'app.cjs')} 3 10 (until exit)`);
    expect(plain.stderr).not.toContain(ESC);
    const quiet = await runCli(['profile', '-q', '--until', 'exit', join(CHATTY, 'app.cjs'), '3', '10']);
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe('');
    expect(quiet.report).not.toBeNull();
    // FORCE_COLOR wins over NO_COLOR (which runCli sets), as in Node's own streams.
    const forced = await runCli(['profile', '--until', 'exit', join(CHATTY, 'app.cjs'), '3', '10'], { env: { FORCE_COLOR: '1' } });
    expect(forced.stderr).toContain(`${ESC}[1mimportcost${ESC}[22m`);
  });

  it('check --runs 2: one line per run', async () => {
    const run = await runCli(['check', '--runs', '2', '-o', tempDir()], { cwd: CHATTY });
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('importcost: profiling app.cjs (run 1 of 2)\nimportcost: profiling app.cjs (run 2 of 2)\n');
  });
});

describe('pickStyle', () => {
  const coloured = (isTTY: boolean, env: Record<string, string>) => pickStyle({ isTTY }, env).bold('x') !== 'x';
  it('colours on a terminal unless NO_COLOR or TERM=dumb; FORCE_COLOR decides before both, as Node reads it', () => {
    expect(coloured(true, {})).toBe(true);
    expect(coloured(false, {})).toBe(false);
    expect(coloured(true, { NO_COLOR: '1' })).toBe(false);
    expect(coloured(true, { NO_COLOR: '' })).toBe(false);
    expect(coloured(true, { TERM: 'dumb' })).toBe(false);
    for (const value of ['', '1', '2', '3', 'true']) expect(coloured(false, { FORCE_COLOR: value, NO_COLOR: '1' })).toBe(true);
    for (const value of ['0', 'false']) expect(coloured(true, { FORCE_COLOR: value })).toBe(false);
  });
});
