/**
 * How the agent hands its recording to the CLI: files written whole (then renamed), and a line on the
 * pipe the CLI gave it once each part is on disk. Built-ins only.
 */
import fs = require('node:fs');

/** Written, then renamed: a reader never sees half a file. */
function writeAtomically(file: string, text: string): void {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, text);
  fs.renameSync(tmp, file);
}

/** One line to the CLI on `fd` (-1: none). */
function tellCli(fd: number, line: string): void {
  if (fd < 0) return;
  try {
    fs.writeSync(fd, `${line}\n`);
  } catch {
    // The CLI is gone; the recording is on disk all the same.
  }
}

export = { writeAtomically, tellCli };
