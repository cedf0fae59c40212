/**
 * Names a person recognises at a glance: `express@5.1.0` for the file through which the run first
 * entered a package, `express@5.1.0/lib/router/index.js` for its other files (so no two modules share
 * a name), `./src/db.js` for the app's own files, `node:http`.
 */
import { posix } from 'node:path';
import type { PackageFact } from './build-report.js';

export function displayName(key: string, pkg: PackageFact | null, firstEntry: boolean, cwd: string): string {
  if (!key.startsWith('/')) return key.length > 80 ? `${key.slice(0, 77)}...` : key;
  if (pkg && key.includes('/node_modules/')) {
    const id = `${pkg.name}@${pkg.version}`;
    return firstEntry ? id : `${id}/${relativeTo(pkg.root, key)}`;
  }
  const rel = relativeTo(cwd, key);
  return rel.startsWith('..') ? key : `./${rel}`;
}

/** posix.relative, without its cost for the common case of a file inside the folder (2,000+ calls a report). */
function relativeTo(dir: string, file: string): string {
  if (file.startsWith(dir) && file[dir.length] === '/' && !file.includes('/.', dir.length)) return file.slice(dir.length + 1);
  return posix.relative(dir, file);
}

/** Human bytes: 1.23 MB (decimal units, as the budgets in importcost.config.json are written). */
export function formatBytes(bytes: number): string {
  const abs = Math.abs(bytes);
  if (abs >= 1e9) return `${(bytes / 1e9).toFixed(2)} GB`;
  if (abs >= 1e6) return `${(bytes / 1e6).toFixed(2)} MB`;
  if (abs >= 1e3) return `${(bytes / 1e3).toFixed(1)} kB`;
  return `${Math.round(bytes)} B`;
}

export function formatMs(ms: number): string {
  if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms >= 10) return `${ms.toFixed(0)} ms`;
  return `${ms.toFixed(1)} ms`;
}
