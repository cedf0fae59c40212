/** A temp copy of an example app whose dependencies resolve from the repo's node_modules (a symlink). */
import { cpSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './run.js';

export function copyExample(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `importcost-${name}-`));
  cpSync(join(ROOT, 'examples', name), dir, { recursive: true });
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}
