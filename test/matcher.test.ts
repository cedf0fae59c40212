/**
 * The `importcost/vitest` matchers, used the way a project would use them (imported through the package's
 * "exports", so this also checks the built dist/vitest.js). Each assertion profiles a real child process.
 */
import 'importcost/vitest';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './helpers/run.js';

const examples = join(ROOT, 'examples');

describe('importcost/vitest', () => {
  it('toStartWithin: the lean example starts within 40 MB and without the S3 client', async () => {
    await expect('./server.js').toStartWithin({ heap: '40 MB', forbid: ['@aws-sdk/*'] }, { cwd: join(examples, 'budgets-pass'), until: 'listening' });
  });

  it('toStartWithin fails with the package, chain and line that break the budget', async () => {
    const failing = expect('./server.js').toStartWithin({ packages: { '@aws-sdk/*': '1 MB' } }, { cwd: join(examples, 'budgets-fail'), until: 'listening' });
    await expect(failing).rejects.toThrow(
      /expected \.\/server\.js to start within its budgets:\n {2}packages\["@aws-sdk\/\*"\]: @aws-sdk\/client-s3@\S+ \d+\.\d+ MB, limit 1\.00 MB.*\n {6}@aws-sdk\/client-s3@\S+ via \.\/server\.js > \.\/src\/storage\.js > @aws-sdk\/client-s3@\S+\n {6}at src\/storage\.js:1:\d+/,
    );
  });

  it('not.toLoadAtStartup: our own CLI does not load typescript (or vitest) at start-up', async () => {
    await expect('./bin/importcost.js').not.toLoadAtStartup('typescript', { cwd: ROOT, args: ['--version'], until: 'exit' });
    await expect('./bin/importcost.js').not.toLoadAtStartup('vitest', { cwd: ROOT, args: ['--version'], until: 'exit' });
  });

  it('toLoadAtStartup sees the S3 client in the failing example, and .not says where it comes from', async () => {
    const options = { cwd: join(examples, 'budgets-fail'), until: 'listening' as const };
    await expect('./server.js').toLoadAtStartup('@aws-sdk/client-s3', options);
    await expect(expect('./server.js').not.toLoadAtStartup('@aws-sdk/*', options)).rejects.toThrow(
      /expected \.\/server\.js not to load @aws-sdk\/\* at start-up, but it does:\n {2}@aws-sdk\/client-s3@\S+ .*\n {6}via \.\/server\.js > \.\/src\/storage\.js > @aws-sdk\/client-s3@/,
    );
  });
});
