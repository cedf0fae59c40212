/**
 * The output folder, made and checked before the target runs: a report that cannot be written is found
 * out before anything is profiled. Made one level at a time: Node's recursive mkdir loops forever on a
 * path it cannot make in some file systems (/proc/x: each level reports ENOENT), and here it fails at once.
 */
import { accessSync, constants, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { outputError } from '../errors.js';

/** A little more than an empty file, so a full disk shows now rather than when the report is written. */
const PROBE_BYTES = 4096;

export function ensureOutputDir(out: string): void {
  const target = resolve(out);
  const missing: string[] = [];
  let at = target;
  for (;;) {
    let info: ReturnType<typeof statSync> | null = null;
    try {
      info = statSync(at);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') throw cannotWrite(target, code);
    }
    if (info) {
      if (!info.isDirectory()) throw cannotWrite(target, 'ENOTDIR', `${at} is not a folder`);
      break;
    }
    const parent = dirname(at);
    if (parent === at) throw cannotWrite(target, 'ENOENT');
    missing.unshift(at);
    at = parent;
  }
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'EEXIST') throw cannotWrite(target, code);
    }
  }
  const probe = join(target, `.importcost-probe-${process.pid}`);
  try {
    accessSync(target, constants.W_OK);
    writeFileSync(probe, Buffer.alloc(PROBE_BYTES));
  } catch (err) {
    throw cannotWrite(target, (err as NodeJS.ErrnoException).code);
  } finally {
    rmSync(probe, { force: true });
  }
}

const WHY: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  ENOTDIR: 'a part of the path is a file',
  ENOENT: 'it cannot be made there',
};

function cannotWrite(target: string, code: string | undefined, detail?: string) {
  const why = detail ?? WHY[code ?? ''];
  return outputError(`cannot write to ${target} (${code ?? 'error'})`, `${why ? `${why}; ` : ''}choose another folder with --out`);
}
