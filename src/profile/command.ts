/**
 * What to run: `importcost profile server.js [args]`, `-- node [flags] entry [args]`, or any command
 * (`-- npm start`, `-- ./run.sh`, `-- npx tsx src/main.ts`), which runs as given with the agent in
 * NODE_OPTIONS so that it reaches every Node process the command starts.
 */
import { accessSync, closeSync, constants, existsSync, openSync, readSync, statSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { usageError } from '../errors.js';

/** `node [flags] entry [args]`: importcost knows the entry (its name, its Node version). */
export interface NodeTarget {
  kind: 'node';
  node: string;
  nodeArgs: string[];
  entry: string;
  args: string[];
}

/** Any other command: run as given; the agent reaches the Node processes it starts through NODE_OPTIONS. */
export interface CommandTarget {
  kind: 'command';
  /** The program as found on the PATH (or the path given). */
  file: string;
  /** The words as the user gave them. */
  argv: string[];
}

export type Target = NodeTarget | CommandTarget;

/** Node flags that take their value as the next argument (so the entry is found after them). */
const FLAGS_WITH_VALUE = new Set([
  '-r', '--require', '--import', '--loader', '--experimental-loader', '-C', '--conditions', '--env-file',
  '--input-type', '--title', '--inspect-port', '--max-old-space-size', '--stack-size', '--watch-path',
  '--experimental-default-type', '--disable-warning', '--redirect-warnings', '--env-file-if-exists',
  '--max-semi-space-size',
]);

function looksLikeNode(word: string): boolean {
  return /(^|\/)node(\d+)?(\.exe)?$/.test(word);
}

/** Node finds `server` as server.js, server.json, server.node, or server/index.js. */
export function entryExists(file: string): boolean {
  if (existsSync(file) && statSync(file).isFile()) return true;
  return ['.js', '.json', '.node', '/index.js'].some((ext) => existsSync(file + ext));
}

/** Extensions Node runs (or loads) as an entry. */
const ENTRY_EXTENSIONS = /\.(c|m)?(j|t)sx?$|\.json$|\.node$/;

/**
 * Whether an existing file is a program or a script for some other interpreter (run as a command) rather
 * than a Node entry: no Node extension, and a binary (ELF: `-- /bin/sh -c ...`) or a `#!` line that does
 * not name node (`.sh` files always are).
 */
function isScript(file: string): boolean {
  if (!existsSync(file) || !statSync(file).isFile()) return false;
  if (ENTRY_EXTENSIONS.test(file)) return false;
  if (file.endsWith('.sh')) return true;
  let head = '';
  try {
    const fd = openSync(file, 'r');
    try {
      const buffer = Buffer.alloc(128);
      head = buffer.subarray(0, readSync(fd, buffer, 0, 128, 0)).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
  if (head.startsWith('\x7fELF')) return true;
  const shebang = head.startsWith('#!') ? (head.split('\n')[0] ?? '') : '';
  return shebang !== '' && !/\bnode\b/.test(shebang);
}

/** A command as the shell would find it: a path (with a slash), or the first executable on PATH. */
export function findOnPath(word: string, cwd: string, pathVar: string | undefined): string | null {
  const executable = (file: string): boolean => {
    try {
      accessSync(file, constants.X_OK);
      return statSync(file).isFile();
    } catch {
      return false;
    }
  };
  if (word.includes('/')) {
    const file = isAbsolute(word) ? word : resolve(cwd, word);
    return executable(file) ? file : null;
  }
  for (const dir of (pathVar ?? '').split(delimiter)) {
    if (dir === '') continue;
    const file = join(isAbsolute(dir) ? dir : resolve(cwd, dir), word);
    if (executable(file)) return file;
  }
  return null;
}

/**
 * Read the command line. The first word decides: node (or a path to one) is the `node [flags] entry` form;
 * a file that exists here is an entry to run with `nodeBinary`; anything else is a command found on PATH.
 */
export function parseCommand(command: string[], nodeBinary: string, cwd: string, pathVar: string | undefined): Target {
  if (command.length === 0) throw usageError('no program to profile', 'give an entry file or a command: importcost profile server.js, importcost profile -- npm start');
  const first = command[0]!;
  if (looksLikeNode(first)) return parseNodeCommand(command);
  const path = resolve(cwd, first);
  if (entryExists(path) && !isScript(path)) return { kind: 'node', node: nodeBinary, nodeArgs: [], entry: first, args: command.slice(1) };
  if (ENTRY_EXTENSIONS.test(first) && !existsSync(path)) {
    throw usageError(`cannot find the entry file ${first}`, `run it from the folder it is in, or give its path (looked in ${cwd})`);
  }
  const file = findOnPath(first.includes('/') || !existsSync(path) ? first : `./${first}`, cwd, pathVar);
  if (file === null && existsSync(path)) {
    throw usageError(`${first} is a script but not executable`, `make it executable (chmod +x ${first}) or run it through its shell: importcost profile -- sh ${first}`);
  }
  if (file === null) {
    throw usageError(
      `cannot find ${first}: it is neither a file in ${cwd} nor a command on the PATH`,
      /\.[cm]?[jt]s$/.test(first) ? 'run it from the folder it is in, or give its path' : 'check the spelling, or give the command with its path',
    );
  }
  return { kind: 'command', file, argv: command };
}

function parseNodeCommand(command: string[]): NodeTarget {
  const nodeArgs: string[] = [];
  let i = 1;
  for (; i < command.length; i++) {
    const word = command[i]!;
    if (word === '--') {
      i++;
      break;
    }
    if (!word.startsWith('-')) break;
    nodeArgs.push(word);
    if (word === '-e' || word === '--eval' || word === '-p' || word === '--print') {
      throw usageError(`node ${word} is not supported`, 'write the code to a file and profile that file');
    }
    if (FLAGS_WITH_VALUE.has(word) && i + 1 < command.length) nodeArgs.push(command[++i]!);
  }
  if (i >= command.length) throw usageError('no entry file after the node flags', 'e.g. importcost profile -- node --import tsx src/server.ts');
  return { kind: 'node', node: command[0]!, nodeArgs, entry: command[i]!, args: command.slice(i + 1) };
}

/** What to spawn for a target: the program and its arguments. */
export function commandLine(target: Target): [file: string, args: string[]] {
  return target.kind === 'node' ? [target.node, [...target.nodeArgs, target.entry, ...target.args]] : [target.file, target.argv.slice(1)];
}

/**
 * NODE_OPTIONS with the agent first (so its hooks see the user's own --require and --import modules load
 * too), then whatever the user's environment had. The path is quoted: NODE_OPTIONS splits on spaces.
 */
export function nodeOptionsWithAgent(agentPath: string, existing: string | undefined): string {
  const quoted = `"${agentPath.replace(/(["\\])/g, '\\$1')}"`;
  return existing && existing.trim() !== '' ? `--require ${quoted} ${existing}` : `--require ${quoted}`;
}
