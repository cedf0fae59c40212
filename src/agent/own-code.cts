/**
 * Which files are the program's own code, and which package a file in node_modules belongs to: what
 * `importcost defer`'s stand-ins (defer-hooks.cts) and the start-up use marks (startup-use.cts) both ask
 * of a path. Built-ins only.
 */
import path = require('node:path');

/** The agent's own folder: its frames are never the program's. */
const AGENT_DIR = __dirname + path.sep;
const NODE_MODULES = '/node_modules/';

/** The program's own code: a file outside node_modules that is not importcost's. */
function isOwnFile(file: string): boolean {
  return path.isAbsolute(file) && !file.includes(NODE_MODULES) && !file.startsWith(AGENT_DIR);
}

/**
 * The package folder a file in node_modules belongs to (`/app/node_modules/@a/b`: the folder after the
 * last node_modules/, two for a scope) and the package's name (`@a/b`); null outside node_modules.
 */
function packageOfFile(file: string): { root: string; name: string } | null {
  const marker = file.lastIndexOf(NODE_MODULES);
  if (marker < 0) return null;
  const rest = file.slice(marker + NODE_MODULES.length).split('/');
  const name = rest.slice(0, rest[0]?.startsWith('@') ? 2 : 1).join('/');
  return { root: file.slice(0, marker + NODE_MODULES.length) + name, name };
}

/** An esbuild- or tsup-style export getter (`() => S3Client`): calling it only reads a binding. */
const PLAIN_GETTER = /^\(\)\s*=>\s*[\w$]+$/;
/** What readExport gives for a getter it does not call. */
const UNREAD = Symbol('getter not called');

/**
 * An own property of a module's exports, read without running the package's code: a data property's
 * value, a bundler's plain getter's value, else UNREAD (another getter: calling it might do anything).
 */
function readExport(exports: object, key: string): unknown {
  const descriptor = Object.getOwnPropertyDescriptor(exports, key);
  if (!descriptor) return undefined;
  if ('value' in descriptor) return descriptor.value;
  if (typeof descriptor.get !== 'function' || !PLAIN_GETTER.test(Function.prototype.toString.call(descriptor.get))) return UNREAD;
  try {
    return descriptor.get.call(exports);
  } catch {
    return UNREAD;
  }
}

/** What require.cache holds of a module, as far as this reads it. */
type CachedModule = { children?: { filename?: unknown; exports?: unknown }[] } | undefined;

/**
 * Every module the program's own files import from node_modules (require.cache's children of its own
 * files), by path, with its exports; null where the cache cannot be read (a program replaced it).
 */
function importedFromPackages(cache: Record<string, CachedModule>): Map<string, unknown> | null {
  const modules = new Map<string, unknown>();
  try {
    for (const filename of Object.keys(cache)) {
      if (!isOwnFile(filename)) continue;
      for (const child of cache[filename]?.children ?? []) {
        if (typeof child?.filename === 'string' && child.filename.includes(NODE_MODULES)) modules.set(child.filename, child.exports);
      }
    }
  } catch {
    return null;
  }
  return modules;
}

export = { isOwnFile, packageOfFile, readExport, importedFromPackages, UNREAD };
