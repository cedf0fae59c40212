/**
 * Read and decode the source maps of the files a run loaded: bundles (esbuild, webpack, rollup, ncc) and
 * files compiled one by one (tsc, swc). Only files that name a map (`//# sourceMappingURL=`, a path or an
 * inline data: URL) or have one beside them (`<file>.map`) are read, and only the program's own files
 * (outside node_modules: a package's maps are for its authors). Decoding uses the `source-map` package,
 * whose consumer is WebAssembly and async in Node; what the analysis needs is handed on as plain data
 * (analysis/decoded-map.ts). A map that is missing, unreadable or corrupt, or whose sources are not
 * there, leaves its file as compiled, with a one-line note.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecodedMap } from '../analysis/decoded-map.js';
import { readTail } from './read-tail.js';
import type { RawModule } from '../analysis/list-modules.js';

export interface LoadedMap {
  data: DecodedMap;
  /** Each source's text: the map's sourcesContent, else the file on disk when asked for (null: none). */
  content: (index: number) => string | null;
}

export interface SourceMapFacts {
  /** By module key. */
  maps: Map<string, LoadedMap>;
  /** One line each: a map that could not be used. */
  notes: string[];
}

/** Bytes read from the end of a file to find its `sourceMappingURL` comment. */
const TAIL_BYTES = 4096;
const MAP_COMMENT = /\/\/[#@] ?sourceMappingURL=([^\s'"]+)\s*$/;

/** The files whose maps are read: the program's own JavaScript (not node_modules). */
export function mayHaveMap(m: RawModule): boolean {
  return (m.kind === 'cjs' || m.kind === 'esm') && m.key.startsWith('/') && !m.key.includes('/node_modules/') && /\.[cm]?js$/.test(m.key);
}

export async function readSourceMaps(modules: readonly RawModule[]): Promise<SourceMapFacts> {
  const facts: SourceMapFacts = { maps: new Map(), notes: [] };
  const found: { file: string; text: string; from: string; mapDir: string }[] = [];
  for (const m of modules) {
    if (!mayHaveMap(m)) continue;
    try {
      const located = locateMap(m.key);
      if (located) found.push({ file: m.key, ...located });
    } catch (err) {
      facts.notes.push(`${m.key}: its source map could not be read (${describe(err)}); shown as compiled`);
    }
  }
  if (found.length === 0) return facts;
  // Loaded only when some file has a map: the WebAssembly decoder costs about 10 ms to start.
  const { SourceMapConsumer } = await import('source-map');
  for (const { file, text, from, mapDir } of found) {
    try {
      const loaded = await decode(SourceMapConsumer, file, text, from, mapDir);
      if (typeof loaded === 'string') facts.notes.push(`${file}: ${loaded}; shown as compiled`);
      else facts.maps.set(file, loaded);
    } catch (err) {
      facts.notes.push(`${file}: its source map ${from === 'inline' ? '(inline)' : from} is not a valid source map (${describe(err)}); shown as compiled`);
    }
  }
  return facts;
}

const describe = (err: unknown): string => ((err as NodeJS.ErrnoException).code ?? (err as Error).message ?? String(err)).split('\n')[0]!.slice(0, 120);

/** The map's text and where it came from, or null when the file names none and has none beside it. */
function locateMap(file: string): { text: string; from: string; mapDir: string } | null {
  const url = mapComment(file);
  if (url === null) {
    const beside = `${file}.map`;
    return existsSync(beside) ? { text: readFileSync(beside, 'utf8'), from: beside, mapDir: dirname(beside) } : null;
  }
  if (url.startsWith('data:')) {
    const comma = url.indexOf(',');
    const meta = url.slice(5, comma);
    const body = url.slice(comma + 1);
    const text = meta.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
    return { text, from: 'inline', mapDir: dirname(file) };
  }
  const path = url.startsWith('file:') ? fileURLToPath(url) : resolve(dirname(file), decodeURIComponent(url));
  return { text: readFileSync(path, 'utf8'), from: path, mapDir: dirname(path) };
}

/** The file's `sourceMappingURL`: read from its end (an inline map can make the last line megabytes long). */
function mapComment(file: string): string | null {
  const { text, whole } = readTail(file, TAIL_BYTES);
  const lastLine = text.slice(text.trimEnd().lastIndexOf('\n') + 1);
  if (lastLine.length === text.length && !whole) {
    // The last line is longer than the tail: read the whole file for it.
    const all = readFileSync(file, 'utf8');
    return MAP_COMMENT.exec(all.slice(all.trimEnd().lastIndexOf('\n') + 1))?.[1] ?? null;
  }
  return MAP_COMMENT.exec(lastLine)?.[1] ?? null;
}

type Consumers = typeof import('source-map').SourceMapConsumer;

/**
 * Where a source named in a map is on disk. webpack names sources `webpack://<name>/<path>` relative to
 * its build's context folder, which the map does not record: the map's folder and each folder above it
 * are tried. Its runtime (`webpack/bootstrap`, `webpack/runtime/...`) is no source: null.
 */
function sourcePath(source: string, mapDir: string): string | null {
  if (source.startsWith('file:')) return fileURLToPath(source);
  const webpack = /^webpack:\/\/[^/]*\/(.*)$/.exec(source);
  if (webpack) {
    const rest = webpack[1]!;
    if (/^(webpack\/|\(webpack\)|external )/.test(rest)) return null;
    if (isAbsolute(rest)) return rest;
    for (let dir = mapDir; ; dir = dirname(dir)) {
      const candidate = join(dir, rest);
      if (existsSync(candidate)) return candidate;
      if (dir === dirname(dir)) return resolve(mapDir, rest);
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(source)) return null;
  return resolve(mapDir, source);
}

async function decode(consumers: Consumers, file: string, text: string, from: string, mapDir: string): Promise<LoadedMap | string> {
  const raw = JSON.parse(text) as { sourceRoot?: string; sources?: unknown; sections?: unknown };
  if (!raw || typeof raw !== 'object' || (!Array.isArray(raw.sources) && !Array.isArray(raw.sections))) {
    return `its source map ${from === 'inline' ? '(inline)' : from} has no sources`;
  }
  const consumer = await new consumers(raw as never);
  try {
    // The consumer joins sourceRoot; each section of an index map its own.
    const names = consumer.sources;
    const sources = names.map((name) => sourcePath(name, mapDir));
    const onDisk = sources.filter((s) => s !== null && isFile(s)).length;
    if (onDisk === 0) return `the sources its map names are not there (${names[0] ?? 'none'}, ...)`;
    const indexOf = new Map(names.map((name, i) => [name, i]));
    const lineLengths = readFileSync(file, 'utf8').split('\n').map((line) => line.length);
    const lines: number[] = [];
    const columns: number[] = [];
    const sourceIndex: number[] = [];
    const originalLines: number[] = [];
    const originalColumns: number[] = [];
    consumer.eachMapping(
      (m) => {
        lines.push(m.generatedLine - 1);
        columns.push(m.generatedColumn);
        const index = m.source === null ? -1 : (indexOf.get(m.source) ?? -1);
        sourceIndex.push(index >= 0 && sources[index] !== null ? index : -1);
        originalLines.push(m.originalLine === null ? 0 : m.originalLine - 1);
        originalColumns.push(m.originalColumn ?? 0);
      },
      null,
      consumers.GENERATED_ORDER,
    );
    const generatedChars = sources.map(() => 0);
    for (let i = 0; i < lines.length; i++) {
      if (sourceIndex[i]! < 0) continue;
      const end = i + 1 < lines.length && lines[i + 1] === lines[i] ? columns[i + 1]! : (lineLengths[lines[i]!] ?? columns[i]!);
      generatedChars[sourceIndex[i]!]! += Math.max(0, end - columns[i]!);
    }
    const total = lineLengths.reduce((sum, n) => sum + n + 1, 0);
    const data: DecodedMap = {
      file,
      from,
      sources,
      lines: Int32Array.from(lines),
      columns: Int32Array.from(columns),
      sourceIndex: Int32Array.from(sourceIndex),
      originalLines: Int32Array.from(originalLines),
      originalColumns: Int32Array.from(originalColumns),
      generatedChars,
      unmappedChars: Math.max(0, total - generatedChars.reduce((a, b) => a + b, 0)),
    };
    // A plain map lists its sources in the consumer's order: its sourcesContent is read by index
    // (sourceContentFor looks each name up again: 0.3 s over a 990-source map). Index maps go through it.
    const inline = (raw as { sourcesContent?: unknown }).sourcesContent;
    const contents =
      Array.isArray(inline) && Array.isArray(raw.sources) && raw.sources.length === names.length
        ? (inline as unknown[]).map((c) => (typeof c === 'string' ? c : null))
        : names.map((name) => consumer.sourceContentFor(name, true));
    const disk = new Map<number, string | null>();
    const content = (index: number): string | null => {
      const inline = contents[index];
      if (typeof inline === 'string') return inline;
      const path = sources[index];
      if (!path) return null;
      if (!disk.has(index)) disk.set(index, readOrNull(path));
      return disk.get(index)!;
    };
    return { data, content };
  } finally {
    consumer.destroy();
  }
}

function readOrNull(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
