/**
 * examples/ci/importcost.yml: Actions itself cannot run here, so this runs the workflow's own check-step
 * script with bash, as the runner would (GITHUB_ACTIONS and GITHUB_STEP_SUMMARY set, `npx importcost`
 * pointing at this build), first on "main" with no baseline, then on a "pull request" that adds a heavy
 * import, with main's report in importcost-baseline/ as the artifact download leaves it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { copyExample } from './helpers/example-copy.js';
import { BIN, ROOT } from './helpers/run.js';

const WORKFLOW = readFileSync(join(ROOT, 'examples', 'ci', 'importcost.yml'), 'utf8');

/** The `run: |` block of the step with this name (block scalar: the lines indented under it). */
function stepScript(name: string): string {
  const lines = WORKFLOW.split('\n');
  const at = lines.findIndex((l) => l.trim() === `- name: ${name}`);
  expect(at, `step "${name}" in the workflow`).toBeGreaterThan(-1);
  const run = lines.findIndex((l, i) => i > at && l.trim() === 'run: |');
  const indent = lines[run + 1]!.search(/\S/);
  const body: string[] = [];
  for (const line of lines.slice(run + 1)) {
    if (line.trim() !== '' && line.search(/\S/) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n');
}

function runStep(script: string, cwd: string, summary: string) {
  // `npx importcost` resolves to this checkout's build, as it would to the installed dev dependency.
  const bin = join(cwd, '.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'npx'), `#!/bin/sh\n[ "$1" = importcost ] && shift\nexec "${process.execPath}" "${BIN}" "$@"\n`);
  chmodSync(join(bin, 'npx'), 0o755);
  return spawnSync('bash', ['-e', '-c', script], {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}`, NO_COLOR: '1', GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary, GITHUB_WORKSPACE: cwd },
  });
}

describe('examples/ci workflow', () => {
  it('has the steps that fetch, check against, and store the baseline', () => {
    expect(WORKFLOW).toMatch(/gh run download "\$run_id" --name importcost-baseline --dir importcost-baseline/);
    expect(WORKFLOW).toMatch(/uses: actions\/upload-artifact@v4\n\s+with:\n\s+name: importcost-baseline\n\s+path: importcost-out\/\*\.importcost\.json/);
    expect(stepScript('Check start-up budgets')).toContain('--baseline "$baseline" --max-increase 5%');
  });

  it("the check step passes on main, and fails a pull request's heavy import against main's baseline", () => {
    const script = stepScript('Check start-up budgets');
    const main = copyExample('budgets-pass');
    const onMain = runStep(script, main, join(main, 'summary.md'));
    expect(onMain.stderr).not.toMatch(/hint:/);
    expect(onMain.status).toBe(0);
    expect(onMain.stdout).not.toContain('::error');
    expect(readFileSync(join(main, 'summary.md'), 'utf8')).toMatch(/^## importcost: ✅ all 7 budgets hold/);

    // The pull request: same app, plus a module that requires the S3 client at start-up.
    const pr = copyExample('budgets-pass');
    writeFileSync(join(pr, 'src', 'storage.js'), "const { S3Client } = require('@aws-sdk/client-s3');\nmodule.exports = { S3Client };\n");
    writeFileSync(join(pr, 'server.js'), readFileSync(join(pr, 'server.js'), 'utf8').replace("require('./src/users');", "require('./src/users');\nrequire('./src/storage');"));
    // What "Fetch the baseline" leaves behind: main's report in importcost-baseline/.
    mkdirSync(join(pr, 'importcost-baseline'));
    for (const f of readdirSync(join(main, 'importcost-out')).filter((f) => f.endsWith('.importcost.json'))) {
      cpSync(join(main, 'importcost-out', f), join(pr, 'importcost-baseline', f));
    }
    const onPr = runStep(script, pr, join(pr, 'summary.md'));
    expect(onPr.status).toBe(1);
    const annotations = onPr.stdout.split('\n').filter((l) => l.startsWith('::error'));
    expect(annotations).toContainEqual(expect.stringMatching(/^::error file=src\/storage\.js,line=1,col=30,title=importcost%3A heap vs baseline::.*largest growth: @aws-sdk\/client-s3@/));
    expect(annotations).toContainEqual(expect.stringMatching(/^::error file=src\/storage\.js,line=1,col=30,title=importcost%3A forbid\["@aws-sdk\/\*"\]::/));
    const summary = readFileSync(join(pr, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| ❌ \| `heap vs baseline` \| .* over the baseline's .*allowed \+5%\)/);
    expect(summary).toContain('### Against the baseline');
    expect(summary).toMatch(/\| Newly loaded at start-up \| `@aws-sdk\/client-s3@3\.\S+` and \d+ it brings in \| \+\d+\.\d+ MB \|/);
  });
});
