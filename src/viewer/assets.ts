/**
 * Where the viewer's files live at run time: viewer/ at the package root (shipped, see package.json
 * "files"), and speedscope's static build in the speedscope package (dist/release: index.html + assets).
 */
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

/** viewer/ from dist/viewer (built) or src/viewer (tests importing the sources): both two levels down. */
export const VIEWER_DIR = resolve(here, '..', '..', 'viewer');

export function speedscopeReleaseDir(): string {
  const pkg = createRequire(import.meta.url).resolve('speedscope/package.json');
  return join(dirname(pkg), 'dist', 'release');
}

/** The plain files of speedscope's release folder, by name (no folders, no source maps). */
export function listSpeedscopeFiles(dir = speedscopeReleaseDir()): string[] {
  return readdirSync(dir).filter((name) => !name.endsWith('.map') && statSync(join(dir, name)).isFile());
}
