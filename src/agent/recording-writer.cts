/**
 * How the agent hands its recording to the CLI: files written whole, then renamed. Built-ins only.
 */
import fs = require('node:fs');

/**
 * Written, then renamed: a reader never sees half a file. Returns false, and leaves the program alone,
 * where the CLI's folder cannot be written (gone, full): the event stream then stands for the recording.
 */
function writeAtomically(file: string, text: string): boolean {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(tmp, text);
    fs.renameSync(tmp, file);
    return true;
  } catch {
    try {
      fs.rmSync(tmp, { force: true });
    } catch {
      // (Nothing more to do.)
    }
    return false;
  }
}

export = { writeAtomically };
