/**
 * When the in-thread ESM hooks (module.registerHooks, Node 22.15+) are in: only while ES modules load.
 * Registered hooks slow every require of a CommonJS program, even hooks that only pass the call on (Node
 * then runs its own resolving and loading through the hooks' chain): on the bench's 2,187-module CommonJS
 * app, +0.13..+0.15x of plain node's start-up on Node 24 and +0.054x on Node 22 (11 pairs), and one more
 * full GC on Node 24. Yet that app, like an express server, reaches ES modules only through a few
 * require(esm) calls (get-intrinsic's .mjs helpers, @exodus/bytes).
 *
 * So the hooks go in at the start of each window in which ES modules load, and out at its end (windows
 * nest; the hooks are in while any is open):
 * - an `import()`, and an ES module entry (Node runs it through the same import): from the
 *   `tracing:module.import:start` channel to the import's `asyncEnd` (it settles after the graph it
 *   imports has run);
 * - a require of an ES module (require(esm), synchronous): the CommonJS load of an .mjs or .mts file, or
 *   of a .js or .ts file whose nearest package.json says `"type": "module"`, from before it runs to its end.
 * A require of a .js file that is an ES module by its syntax alone (no "type") is seen only after it ran
 * (its exports are a module namespace): what it loaded is its CommonJS load's, as a whole, and later loads
 * from its folder open windows.
 * Where Node publishes no module tracing channels (checked once: `module.require`'s, which came with
 * `module.import`'s), and under `importcost defer` (its own hooks must come after these), the hooks are in
 * from the start, as before. Built-ins only.
 */
import diagnostics = require('node:diagnostics_channel');
import fs = require('node:fs');
import path = require('node:path');
import util = require('node:util');
import type { EsmWindows } from './types.cjs';

/** fs as it was before the program's first line (a program may patch it: graceful-fs, mock-fs). */
const { existsSync, readFileSync } = fs;
const IMPORT_START = 'tracing:module.import:start';
const IMPORT_END = 'tracing:module.import:asyncEnd';
const REQUIRE_START = 'tracing:module.require:start';

/**
 * Whether this Node publishes the module tracing channels: one require of a loaded builtin, watched. Run
 * as the agent loads, before its CommonJS hooks are in (which would record that require as the program's).
 */
function publishesModuleChannels(): boolean {
  let seen = false;
  const note = (): void => {
    seen = true;
  };
  diagnostics.subscribe(REQUIRE_START, note);
  try {
    require('node:path');
  } finally {
    diagnostics.unsubscribe(REQUIRE_START, note);
  }
  return seen;
}
const MODULE_CHANNELS = publishesModuleChannels();

/**
 * `register` the hooks (it returns their handle) for each window in which ES modules load; null where
 * those cannot be seen in time, and the caller registers them for good.
 */
function esmWindows(register: () => { deregister(): void }, deferring: boolean): EsmWindows | null {
  if (deferring || !MODULE_CHANNELS) return null;
  let open = 0;
  let handle: { deregister(): void } | null = null;
  const enter = (): void => {
    if (open++ === 0) handle = register();
  };
  const leave = (): void => {
    if (open === 0 || --open > 0) return;
    handle?.deregister();
    handle = null;
  };
  diagnostics.subscribe(IMPORT_START, enter);
  diagnostics.subscribe(IMPORT_END, leave);
  /** Directory -> the "type" of its nearest package.json ('' for none), as far as looked up. */
  const typeOfDir = new Map<string, string>();
  const packageType = (dir: string): string => {
    const known = typeOfDir.get(dir);
    if (known !== undefined) return known;
    let type = '';
    const file = path.join(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const parsed = JSON.parse(readFileSync(file, 'utf8')) as { type?: unknown } | null;
        type = typeof parsed?.type === 'string' ? parsed.type : '';
      } catch {
        type = '';
      }
    } else {
      const parent = path.dirname(dir);
      type = parent === dir ? '' : packageType(parent);
    }
    typeOfDir.set(dir, type);
    return type;
  };
  return {
    before(filename) {
      // Inside a window the hooks are in already, and a require runs to its end before any import's
      // asyncEnd can close that window: no package.json to read (an ES module program's CommonJS requires).
      if (open > 0) return false;
      const ext = path.extname(filename);
      const esm = ext === '.mjs' || ext === '.mts' || ((ext === '.js' || ext === '.ts') && packageType(path.dirname(filename)) === 'module');
      if (esm) enter();
      return esm;
    },
    after(filename, module, opened) {
      if (opened) leave();
      else if (util.types.isModuleNamespaceObject((module as { exports?: unknown } | null)?.exports)) typeOfDir.set(path.dirname(filename), 'module');
    },
  };
}

export = { esmWindows };
