/**
 * Import sites as the CLI finds them in real files: it reads each importer's first 16 kB first and the
 * whole file only when no import statement there names the specifier. Each case is built so that
 * reading the head alone would give a different answer than the whole file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findImportSite } from '../src/analysis/find-import-site.js';
import { rawModule } from '../src/analysis/list-modules.js';
import { gatherFileFacts } from '../src/profile/file-facts.js';

/** A line of filler: 64 characters with its newline. */
const FILLER = `// ${'x'.repeat(60)}\n`;

describe('import sites', () => {
  const dir = mkdtempSync(join(tmpdir(), 'importcost-sites-'));
  const importer = (name: string, text: string): string => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  };

  it('finds a require far past the first 16 kB (the whole file is read)', () => {
    // 400 filler lines = 25,600 characters before it.
    const file = importer('late.js', `${FILLER.repeat(400)}const x = require('./x');\n`);
    const facts = gatherFileFacts([rawModule(file), rawModule(join(dir, 'x.js'), { parentKey: file, specifier: './x' })]);
    expect(facts.sites[`${file}\n./x`]).toEqual({ file, line: 401, column: 19 });
  });

  it('prefers a later require to a mention in the head that is not one', () => {
    const file = importer('mention.js', `// see './y' for why\n${FILLER.repeat(400)}module.exports = require("./y");\n`);
    const facts = gatherFileFacts([rawModule(file), rawModule(join(dir, 'y.js'), { parentKey: file, specifier: './y' })]);
    expect(facts.sites[`${file}\n./y`]).toEqual({ file, line: 402, column: 26 });
  });

  it('falls back to the first mention when no statement names it, anywhere in the file', () => {
    const file = importer('dynamic.js', `${FILLER.repeat(300)}const name = './z';\nrequire(name);\n`);
    const facts = gatherFileFacts([rawModule(file), rawModule(join(dir, 'z.js'), { parentKey: file, specifier: './z' })]);
    expect(facts.sites[`${file}\n./z`]).toEqual({ file, line: 301, column: 14 });
  });

  it('finds a site in a file shorter than the head, and across characters of several bytes', () => {
    const file = importer('short.js', `const s = 'é€😀';\nimport w from './w.js';\n`);
    const facts = gatherFileFacts([rawModule(file), rawModule(join(dir, 'w.js'), { parentKey: file, specifier: './w.js' })]);
    expect(facts.sites[`${file}\n./w.js`]).toEqual({ file, line: 2, column: 15 });
  });

  it('takes the first statement in the file, whatever its quotes', () => {
    const source = `import a from "./a";\nconst b = require('./a');\n`;
    expect(findImportSite(source, './a')).toEqual({ line: 1, column: 15 });
    expect(findImportSite('call("./a")', './a', true)).toBeNull();
    expect(findImportSite('call("./a")', './a')).toEqual({ line: 1, column: 6 });
  });
});
