/** Files the CLI writes for people and tools: whole or not at all, so two runs at once never interleave. */
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import { outputError } from '../errors.js';

let counter = 0;

/** Write to a temporary name beside `file`, then rename it over: a reader sees the old file or the new. */
export function writeFileAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.${++counter}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, file);
  } catch (err) {
    rmSync(tmp, { force: true });
    const code = (err as NodeJS.ErrnoException).code;
    throw outputError(`cannot write ${file} (${code === 'ENOSPC' ? 'the disk is full' : (code ?? 'error')})`, 'free some space, or choose another folder with --out');
  }
}
