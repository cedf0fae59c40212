/**
 * `importcost defer`: the program's own imports of the packages named in the settings are made lazy, and
 * the first real use of each is recorded (when, and where in the program's own code). agent.cts installs
 * this only when the settings name packages to defer or probe: under `profile` none of it runs.
 * Built-ins only.
 *
 * CommonJS: a require() of such a package from one of the program's own files (outside node_modules)
 * returns a stand-in, a Proxy that loads the real module at its first real use: a call, `new`, a property
 * read of the loaded value, `in`, Object.keys, instanceof (through Symbol.hasInstance), a property set or
 * definition, and so on. Reading an export off the stand-in (`const { S3Client } = require(...)`) is not
 * a use yet: it gives a stand-in for that export, loaded when that is used. What each export is (function,
 * plain object, primitive...) comes from a probe run of the program as it is (`shapes`), so a stand-in has
 * the same `typeof` and truthiness as what it stands for; what a Proxy cannot stand in for (a primitive,
 * an array, a class instance whose methods need their real receiver) is loaded where it is read.
 * What stays different: identity (`===`, Map and WeakMap keys, Sets) between a stand-in and the real value
 * behind it, and `typeof` of an export that is a getter the probe did not call.
 *
 * ESM (Node 26.4+, in-thread hooks): `import * as ns from 'pkg'` in the program's own files is rewritten to
 * `import defer * as ns from 'pkg'` (TC39 import defer: the module is loaded and linked, its evaluation
 * waits for the first read of the namespace). V8 parses that syntax only under --js-defer-import-eval,
 * which is set just before Node compiles the rewritten file and unset at the next hook call: a flag left
 * set would change V8's flag hash and make it reject Node's built-in code cache. Each module of the
 * package gets a call at the start of its body that records its evaluation: its stack holds the
 * program's frame that read the namespace.
 * A named or default import (Node 22.15+) gets a module of stand-ins instead: its specifier is rewritten to
 * `importcost-defer:<names>|<specifier>`, which the resolve hook turns into a module whose exports are the
 * stand-ins for those names; the real module loads at the first use, with require() (an ES module too,
 * Node 22.12+). The bindings exist when the importer links, as ESM wants; their values stand in.
 */
import fs = require('node:fs');
import nodeModule = require('node:module');
import url = require('node:url');
import v8 = require('node:v8');
import type { DeferRecord, DeferUse, ExportShape, ShapeType, SourceSite } from '../recording/format.js';
import type { AgentContext, DeferHooks, DeferSettings } from './types.cjs';
import writer = require('./recording-writer.cjs');
import ownCode = require('./own-code.cjs');

const { isOwnFile } = ownCode;
/** The package a file in node_modules belongs to, else null. */
const packageOfFile = (file: string): string | null => ownCode.packageOfFile(file)?.name ?? null;

/** Key of the global (a registered symbol, not enumerable) that a deferred ES module's first line calls. */
const EVALUATED_KEY = 'importcost.defer.evaluated';
/** Key of the global the modules of stand-ins for named imports call (see installDeferHooks). */
const MODULE_KEY = 'importcost.defer.module';
/** The specifier a rewritten named import gets, then the URL of its module of stand-ins: `<scheme><format>|<names>|<url>`. */
const STAND_IN_SCHEME = 'importcost-defer:';
/** Frames read from a use's stack to find the program's own. */
const STACK_FRAMES = 100;
/** Keys a stand-in never defers: read by language machinery and interop helpers, they load the module. */
const LOADING_KEYS = new Set<string>([
  'then', '__esModule', 'constructor', 'prototype', 'toJSON', 'toString', 'valueOf', 'toLocaleString', 'inspect',
  'call', 'apply', 'bind', 'length', 'name', 'caller', 'arguments', '__proto__', 'hasOwnProperty', 'isPrototypeOf',
  'propertyIsEnumerable', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__',
]);
const NOT_YET = Symbol('not loaded');

/** The package a bare specifier names (`@aws-sdk/client-s3/dist` -> `@aws-sdk/client-s3`), else null. */
function packageOfRequest(request: string): string | null {
  if (request === '' || request.startsWith('.') || request.startsWith('/') || request.startsWith('#') || request.includes(':')) return null;
  const parts = request.split('/');
  return request.startsWith('@') ? `${parts[0]}/${parts[1] ?? ''}` : parts[0]!;
}

/** `import defer` parses on Node 26.4+ (under --js-defer-import-eval). */
function supportsImportDefer(): boolean {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 26 || (major === 26 && minor >= 4);
}

/**
 * The names an import clause takes (`default` for a default import), or null where it is not one the
 * module of stand-ins can serve: a type-only import, a name in quotes.
 */
function importedNames(clause: string): string[] | null {
  const m = /^\s*([\p{L}\p{N}_$]+)?\s*,?\s*(?:\{([^}]*)\})?\s*$/u.exec(clause);
  if (!m || m[1] === 'type') return null;
  const names = m[1] ? ['default'] : [];
  for (const part of (m[2] ?? '').split(',')) {
    const entry = part.trim();
    if (entry === '' || entry.startsWith('type ')) continue;
    const imported = entry.split(/\s+as\s+/)[0]!;
    if (!/^[\p{L}\p{N}_$]+$/u.test(imported)) return null;
    names.push(imported);
  }
  return names.length > 0 ? names : null;
}

/** The innermost frame of the current stack in the program's own files. */
function ownSite(): SourceSite | null {
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  let frames: NodeJS.CallSite[] = [];
  try {
    Error.stackTraceLimit = STACK_FRAMES;
    Error.prepareStackTrace = (_error, callSites) => callSites;
    const holder: { stack?: unknown } = {};
    Error.captureStackTrace(holder);
    frames = holder.stack as NodeJS.CallSite[];
  } catch {
    frames = [];
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  for (const frame of Array.isArray(frames) ? frames : []) {
    let file = frame.getFileName?.() ?? null;
    if (!file) continue;
    if (file.startsWith('file:')) {
      try {
        file = url.fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (isOwnFile(file)) return { file, line: frame.getLineNumber() ?? 0, column: frame.getColumnNumber() ?? 0 };
  }
  return null;
}

const errorText = (err: unknown): string => (err instanceof Error ? `${err.name}: ${err.message}` : String(err));

/** The innermost frame of an error's stack in the program's own files (from its text: `at ... (file:line:col)`). */
function crashSite(err: Error): SourceSite | null {
  for (const line of String(err.stack ?? '').split('\n').slice(1)) {
    const m = /\(?((?:file:\/\/)?\/[^()]+?):(\d+):(\d+)\)?\s*$/.exec(line);
    if (!m) continue;
    let file = m[1]!;
    if (file.startsWith('file:')) {
      try {
        file = url.fileURLToPath(file);
      } catch {
        continue;
      }
    }
    if (isOwnFile(file)) return { file, line: Number(m[2]), column: Number(m[3]) };
  }
  return null;
}
const isPrimitive = (value: unknown): boolean => value === null || (typeof value !== 'object' && typeof value !== 'function');

/** What a value is to a stand-in (ExportShape). Getters are not called, but for the plain ones of bundlers. */
function shapeOfValue(value: unknown): ShapeType {
  if (typeof value === 'function') return 'f';
  if (isPrimitive(value)) return 'p';
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null ? 'o' : 'x';
}
function shapeOf(exports: unknown): ExportShape {
  const keys: Record<string, ShapeType> = {};
  if (!isPrimitive(exports)) {
    for (const key of Object.getOwnPropertyNames(exports)) {
      const value = ownCode.readExport(exports as object, key);
      keys[key] = value === ownCode.UNREAD ? 'g' : shapeOfValue(value);
    }
  }
  return { type: shapeOfValue(exports), keys };
}

/**
 * The target of a stand-in for a function (a bound function: callable, constructible, and with no
 * non-configurable own property such as a plain function's `prototype`, which a Proxy would have to
 * report) or for an object.
 */
const targetFor = (shape: ShapeType): object => (shape === 'o' ? {} : function standIn() {}.bind(null));

/**
 * Make the target hold what the Proxy invariants need of it once the real value is known: each
 * non-configurable own property of the real value, and, where the real value is not extensible, all of
 * them and no other (then the target is made not extensible too).
 */
function syncTarget(target: object, real: object, all: boolean): void {
  const keys = Reflect.ownKeys(real);
  for (const key of keys) {
    const descriptor = Reflect.getOwnPropertyDescriptor(real, key);
    if (!descriptor || (!all && descriptor.configurable !== false)) continue;
    const held = Reflect.getOwnPropertyDescriptor(target, key);
    if (held && held.configurable === false) continue;
    Reflect.defineProperty(target, key, descriptor);
  }
  if (all && Reflect.isExtensible(target)) {
    const wanted = new Set(keys);
    for (const key of Reflect.ownKeys(target)) if (!wanted.has(key)) Reflect.deleteProperty(target, key);
    Reflect.preventExtensions(target);
  }
}

/**
 * A stand-in: `realize(trap)` loads (at most once) and returns the real value. `member(key)` may give a
 * stand-in for an export instead of loading (the module's own stand-in, before it is loaded); `base` is
 * the stand-in this one is an export of, whose real value calls through it get as `this`.
 */
function makeStandIn(
  shape: ShapeType,
  realize: (trap: string, key: PropertyKey | null) => unknown,
  member: ((key: PropertyKey) => unknown) | null,
  base: { proxy: object; real: () => unknown } | null,
): { proxy: object; real: () => unknown } {
  let real: unknown = NOT_YET;
  const value = (trap: string, key: PropertyKey | null = null): any => (real === NOT_YET ? (real = realize(trap, key)) : real);
  /** Object.keys('abc') works on a primitive; Reflect does not: introspection goes to its wrapper. */
  const asObject = (v: unknown): any => (isPrimitive(v) ? Object(v) : v);
  const target = targetFor(shape);
  const proxy: object = new Proxy(target, {
    get(_target, key, receiver) {
      if (real === NOT_YET && member !== null) {
        const deferred = member(key);
        if (deferred !== NOT_YET) return deferred;
      }
      const v = value('get', key);
      // A primitive behind a stand-in (only where no probe said what it was): template strings, `+` and
      // comparisons reach it through Symbol.toPrimitive, valueOf and toString.
      if (isPrimitive(v)) {
        if (key === Symbol.toPrimitive || key === 'valueOf') return () => v;
        if (key === 'toString') return () => String(v);
        return Reflect.get(asObject(v), key);
      }
      return Reflect.get(v, key, receiver === proxy ? v : receiver);
    },
    set(_target, key, newValue, receiver) {
      const v = asObject(value('set', key));
      return Reflect.set(v, key, newValue, receiver === proxy ? v : receiver);
    },
    has: (_target, key) => Reflect.has(asObject(value('has', key)), key),
    ownKeys(t) {
      const v = asObject(value('ownKeys'));
      syncTarget(t, v, !Reflect.isExtensible(v));
      return Reflect.ownKeys(v);
    },
    getOwnPropertyDescriptor(t, key) {
      const v = asObject(value('getOwnPropertyDescriptor', key));
      const descriptor = Reflect.getOwnPropertyDescriptor(v, key);
      if (descriptor?.configurable === false || !Reflect.isExtensible(v)) syncTarget(t, v, !Reflect.isExtensible(v));
      return descriptor;
    },
    defineProperty(t, key, descriptor) {
      const v = asObject(value('defineProperty', key));
      const ok = Reflect.defineProperty(v, key, descriptor);
      if (ok && descriptor.configurable === false) syncTarget(t, v, false);
      return ok;
    },
    deleteProperty: (_target, key) => Reflect.deleteProperty(asObject(value('deleteProperty', key)), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(asObject(value('getPrototypeOf'))),
    setPrototypeOf: (_target, proto) => Reflect.setPrototypeOf(asObject(value('setPrototypeOf')), proto),
    isExtensible(t) {
      const v = asObject(value('isExtensible'));
      const extensible = Reflect.isExtensible(v);
      if (!extensible) syncTarget(t, v, true);
      return extensible;
    },
    preventExtensions(t) {
      const v = asObject(value('preventExtensions'));
      const ok = Reflect.preventExtensions(v);
      if (ok) syncTarget(t, v, true);
      return ok;
    },
    apply: (_target, thisArg, args) => Reflect.apply(value('call'), base !== null && thisArg === base.proxy ? base.real() : thisArg, args),
    construct(_target, args, newTarget) {
      const v = value('construct');
      return Reflect.construct(v, args, newTarget === proxy ? v : newTarget);
    },
  });
  return { proxy, real: () => value('call') };
}

/** Install the hooks; `recordFile` is where this process's DeferRecord goes. */
function installDeferHooks(ctx: AgentContext, settings: DeferSettings, recordFile: string): DeferHooks {
  const deferred = new Set(settings.packages);
  const watched = new Set([...settings.watch, ...settings.packages]);
  const record: DeferRecord = { schema: 'importcost-defer-record@1', uses: [], rewrites: [], shapes: {}, crash: null };
  const used = new Set<string>();
  const write = (): void => {
    writer.writeAtomically(recordFile, JSON.stringify(record));
  };
  /** Note a package's first use (the first only), with the program's frame on the stack now. */
  const noteUse = (pkg: string, trap: string, member: string | null, key: PropertyKey | null): DeferUse | null => {
    if (used.has(pkg)) return null;
    used.add(pkg);
    const phase = ctx.done ? 'after-startup' : 'startup';
    const use: DeferUse = { package: pkg, atMs: ctx.now() - ctx.t0, phase, site: ownSite(), trap, member, key: key === null ? null : String(key), error: null };
    record.uses.push(use);
    write();
    return use;
  };

  // A crash after the stop point (the request defer sends) is the answer to whether the program still
  // works: the recording is written by then, so it goes here. (Before it, the recording has it.)
  process.on('uncaughtExceptionMonitor', (err) => {
    if (!ctx.done || record.crash !== null) return;
    const at = err instanceof Error ? crashSite(err) : null;
    record.crash = `${errorText(err)}${at ? ` (at ${at.file}:${at.line}:${at.column})` : ''}`;
    write();
  });
  const Module = nodeModule as unknown as {
    _load: (this: unknown, request: unknown, parent: unknown, isMain: boolean) => unknown;
    _resolveFilename: (request: string, parent: unknown, isMain: boolean) => string;
    _cache: Record<string, { exports?: unknown; filename?: string; children?: { filename?: unknown; exports?: unknown }[] } | undefined>;
    prototype: { load: (this: unknown, filename: string) => unknown };
  };
  // The load the agent's CommonJS hooks (installed before) wrap: a stand-in's real load is recorded as a
  // load of its importer's, at the time it happens.
  const innerLoad = Module._load;
  /** Stand-ins by resolved file: one a module, whether CommonJS or ESM files import it. */
  const standIns = new Map<string, unknown>();
  const standInFor = (pkg: string, filename: string, request: string, parent: unknown): unknown => {
    let stand = standIns.get(filename);
    if (stand === undefined) standIns.set(filename, (stand = makeModuleStandIn(pkg, filename, request, parent)));
    return stand;
  };
  const makeModuleStandIn = (pkg: string, filename: string, request: string, parent: unknown): unknown => {
    const shape = settings.shapes[filename];
    let loaded: unknown = NOT_YET;
    const load = (trap: string, member: string | null, key: PropertyKey | null): unknown => {
      if (loaded !== NOT_YET) return loaded;
      const use = noteUse(pkg, trap, member, key);
      try {
        loaded = innerLoad.call(Module, request, parent, false);
      } catch (err) {
        if (use) {
          use.error = errorText(err);
          write();
        }
        throw err;
      }
      return loaded;
    };
    // A primitive or an exotic export cannot be stood in for: it loads here, at the require.
    if (shape && (shape.type === 'p' || shape.type === 'x')) return load('require', null, null);
    const members = new Map<PropertyKey, unknown>();
    let module: { proxy: object; real: () => unknown };
    const memberOf = (key: PropertyKey): unknown => {
      if (loaded !== NOT_YET || typeof key !== 'string' || LOADING_KEYS.has(key)) return NOT_YET;
      let kind: ShapeType | undefined = 'f';
      if (shape) kind = Object.hasOwn(shape.keys, key) ? shape.keys[key] : undefined;
      // Not an own export (inherited, or missing: undefined), a primitive or an exotic object: the
      // module loads and the real value is read.
      if (kind === 'p' || kind === 'x') load(kind === 'p' ? 'read' : 'read-exotic', null, key);
      if (kind === undefined || kind === 'p' || kind === 'x') return NOT_YET;
      let stand = members.get(key);
      if (stand === undefined) {
        stand = makeStandIn(kind, (trap, property) => (load(trap, key, property) as Record<string, unknown>)[key], null, module).proxy;
        members.set(key, stand);
      }
      return stand;
    };
    module = makeStandIn(shape?.type ?? 'f', (trap, key) => load(trap, null, key), memberOf, null);
    return module.proxy;
  };
  if (watched.size > 0) {
    // A watched package not deferred in this run (the runs as it is) takes the same path up to the
    // stand-in, and then loads.
    Module._load = function importcostDeferLoad(this: unknown, request: unknown, parent: unknown, isMain: boolean): unknown {
      const pkg = typeof request === 'string' && !isMain ? packageOfRequest(request) : null;
      const parentFile = (parent as { filename?: unknown } | null)?.filename;
      if (pkg === null || !watched.has(pkg) || typeof parentFile !== 'string' || !isOwnFile(parentFile) || nodeModule.isBuiltin(request as string)) {
        return innerLoad.apply(this, arguments as never);
      }
      let filename: string;
      try {
        filename = Module._resolveFilename(request as string, parent, false);
      } catch {
        return innerLoad.apply(this, arguments as never);
      }
      if (!deferred.has(pkg)) return innerLoad.apply(this, arguments as never);
      return standInFor(pkg, filename, request as string, parent);
    };
  }

  const registerHooks = (nodeModule as unknown as { registerHooks?: Function }).registerHooks;
  if (settings.importDefer && typeof registerHooks === 'function') {
    // What a rewritten named import gets: a stand-in for the module (CommonJS: its module.exports is the
    // default export; ESM: its namespace), and for each name, the stand-in's export. It loads with
    // require(), an ES module too (Node 22.12+), from its resolved file.
    Object.defineProperty(globalThis, Symbol.for(MODULE_KEY), {
      value: (moduleUrl: string, format: string) => {
        const file = url.fileURLToPath(moduleUrl);
        const module = standInFor(packageOfFile(file) ?? file, file, file, null) as Record<string, unknown>;
        return (name: string): unknown => (name === 'default' && format !== 'module' ? module : module[name]);
      },
      configurable: true,
    });
    installEsmDefer(registerHooks, deferred, record, noteUse, Module.prototype);
  }

  return {
    atStop(esmEdges) {
      if (settings.probe.length > 0) {
        const probe = settings.probe.includes('*') ? null : new Set(settings.probe);
        probeShapes(probe, Module._cache, record);
        probeEsmShapes(probe, esmEdges, (file) => Module._cache[file]?.exports ?? NOT_YET, (file) => innerLoad.call(Module, file, null, false), record);
      }
      write();
    },
  };
}

/** The ESM half (see the file's comment). */
function installEsmDefer(
  registerHooks: Function,
  deferred: Set<string>,
  record: DeferRecord,
  noteUse: (pkg: string, trap: string, member: string | null, key: PropertyKey | null) => DeferUse | null,
  modulePrototype: { load: (this: unknown, filename: string) => unknown },
): void {
  const rewritten = new Set<string>();
  let flagSet = false;
  const unsetFlag = (): void => {
    if (!flagSet) return;
    flagSet = false;
    v8.setFlagsFromString('--no-js-defer-import-eval');
  };
  Object.defineProperty(globalThis, Symbol.for(EVALUATED_KEY), {
    value: (pkg: unknown): void => {
      if (typeof pkg === 'string') noteUse(pkg, 'evaluate', null, null);
    },
    configurable: true,
  });
  const namespaceImport = /\bimport\s*\*\s*as\s+([\p{L}\p{N}_$]+)\s+from\s*(['"])([^'"\n]+)\2/gu;
  // `import x from`, `import { a, b as c } from`, `import x, { a } from` (not `import type`).
  const namedImport = /\bimport\s+((?:[\p{L}\p{N}_$]+\s*,?\s*)?(?:\{[^}]*\})?)\s*from\s*(['"])([^'"\n]+)\2/gu;
  const importDefer = supportsImportDefer();
  const textOf = (source: unknown): string | null =>
    typeof source === 'string' ? source : ArrayBuffer.isView(source) || source instanceof ArrayBuffer ? new TextDecoder().decode(source as ArrayBuffer) : null;
  registerHooks({
    resolve(specifier: string, context: unknown, nextResolve: Function) {
      unsetFlag();
      if (!specifier.startsWith(STAND_IN_SCHEME)) return nextResolve(specifier, context);
      const rest = specifier.slice(STAND_IN_SCHEME.length);
      const bar = rest.indexOf('|');
      const real = nextResolve(rest.slice(bar + 1), context) as { url: string; format?: string | null };
      if (!real.url.startsWith('file:')) return real;
      return { url: `${STAND_IN_SCHEME}${real.format ?? 'commonjs'}|${rest.slice(0, bar)}|${real.url}`, format: 'module', shortCircuit: true };
    },
    load(loadUrl: string, context: unknown, nextLoad: Function) {
      unsetFlag();
      if (loadUrl.startsWith(STAND_IN_SCHEME)) {
        const [format = 'commonjs', names = '', real = ''] = loadUrl.slice(STAND_IN_SCHEME.length).split('|');
        const list = names.split(',').filter(Boolean);
        const source =
          `const s = globalThis[Symbol.for(${JSON.stringify(MODULE_KEY)})](${JSON.stringify(real)}, ${JSON.stringify(format)});\n` +
          list.map((name, i) => `const s${i} = s(${JSON.stringify(name)});\n`).join('') +
          `export { ${list.map((name, i) => `s${i} as ${name}`).join(', ')} };\n`;
        return { format: 'module', source, shortCircuit: true };
      }
      const result = nextLoad(loadUrl, context) as { format?: string; source?: unknown };
      if (!loadUrl.startsWith('file:') || (result.format !== 'module' && result.format !== 'module-typescript')) return result;
      const file = url.fileURLToPath(loadUrl);
      const text = textOf(result.source);
      if (text === null) return result;
      if (isOwnFile(file)) {
        let deferSyntax = false;
        const lineOf = (offset: number): number => text.slice(0, offset).split('\n').length;
        let source = text.replace(namespaceImport, (whole, name: string, quote: string, specifier: string, offset: number) => {
          const pkg = packageOfRequest(specifier);
          if (!importDefer || pkg === null || !deferred.has(pkg)) return whole;
          deferSyntax = true;
          rewritten.add(pkg);
          record.rewrites.push({ file, line: lineOf(offset), package: pkg });
          return `import defer * as ${name} from ${quote}${specifier}${quote}`;
        });
        // Named imports: the specifier becomes one this file's resolve hook turns into a module of stand-ins.
        source = source.replace(namedImport, (whole, clause: string, quote: string, specifier: string, offset: number) => {
          const pkg = packageOfRequest(specifier);
          const names = importedNames(clause);
          if (pkg === null || !deferred.has(pkg) || names === null) return whole;
          record.rewrites.push({ file, line: lineOf(offset), package: pkg });
          return whole.slice(0, whole.length - specifier.length - 1) + `${STAND_IN_SCHEME}${names.join(',')}|${specifier}${quote}`;
        });
        if (source === text) return result;
        if (deferSyntax) {
          // Parsed when Node compiles what this returns; unset at the next hook call (its imports' resolves).
          v8.setFlagsFromString('--js-defer-import-eval');
          flagSet = true;
        }
        return { ...result, source };
      }
      const pkg = packageOfFile(file);
      if (pkg === null || !deferred.has(pkg)) return result;
      // At the start of the first line, so no line of the module moves (a hashbang line stays first).
      const mark = `globalThis[Symbol.for(${JSON.stringify(EVALUATED_KEY)})]?.(${JSON.stringify(pkg)});`;
      const at = text.startsWith('#!') ? text.indexOf('\n') + 1 : 0;
      return { ...result, source: at > 0 || !text.startsWith('#!') ? text.slice(0, at) + mark + text.slice(at) : text };
    },
  });
  // A CommonJS module of such a package runs when the deferred namespace is first read.
  const originalLoad = modulePrototype.load;
  modulePrototype.load = function importcostDeferEvaluate(this: unknown, filename: string): unknown {
    const pkg = packageOfFile(filename);
    if (pkg !== null && rewritten.has(pkg)) noteUse(pkg, 'evaluate', null, null);
    return originalLoad.apply(this, arguments as never);
  };
}

/** The shapes of what the program's own files import from the probed packages (null: all). */
function probeShapes(probe: Set<string> | null, cache: Parameters<typeof ownCode.importedFromPackages>[0], record: DeferRecord): void {
  // (Null: a program that replaced require.cache; its stand-ins guess functions.)
  for (const [file, exports] of ownCode.importedFromPackages(cache) ?? []) {
    const pkg = packageOfFile(file);
    if (pkg !== null && (probe === null || probe.has(pkg)) && fs.existsSync(file)) record.shapes[file] = shapeOf(exports);
  }
}

/**
 * The shapes of what the program's own ES modules import from the probed packages (the agent's ESM
 * resolve events): a CommonJS module's exports from require.cache, an ES module's namespace through
 * require() (evaluated already: it is not run again).
 */
function probeEsmShapes(
  probe: Set<string> | null,
  edges: readonly { t: string; url: string; parentURL?: string | undefined; format?: string | null | undefined }[],
  cached: (file: string) => unknown,
  requireFile: (file: string) => unknown,
  record: DeferRecord,
): void {
  for (const edge of edges) {
    if (edge.t !== 'r' || !edge.url.startsWith('file:') || !edge.parentURL?.startsWith('file:')) continue;
    let file: string;
    try {
      if (!isOwnFile(url.fileURLToPath(edge.parentURL))) continue;
      file = url.fileURLToPath(edge.url);
    } catch {
      continue;
    }
    const pkg = packageOfFile(file);
    if (pkg === null || (probe !== null && !probe.has(pkg)) || record.shapes[file] !== undefined) continue;
    let value = cached(file);
    if (value === NOT_YET && edge.format === 'module') {
      try {
        value = requireFile(file);
      } catch {
        value = NOT_YET;
      }
    }
    if (value !== NOT_YET) record.shapes[file] = shapeOf(value);
  }
}

export = { installDeferHooks };
