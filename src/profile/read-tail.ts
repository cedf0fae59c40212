/** The end of a file, without reading all of it. */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

/** The last `maxBytes` of `file` as text, and whether that is the whole file. */
export function readTail(file: string, maxBytes: number): { text: string; whole: boolean } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const length = Math.min(size, maxBytes);
    const buffer = Buffer.alloc(length);
    readSync(fd, buffer, 0, length, size - length);
    return { text: buffer.toString('utf8'), whole: length === size };
  } finally {
    closeSync(fd);
  }
}
