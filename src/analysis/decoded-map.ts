/**
 * A compiled file's source map as plain data (decoded by src/profile/source-maps.ts with the `source-map`
 * package), and the lookups the analysis makes in it. Pure.
 * Source Map v3: https://tc39.es/ecma426/ (index maps with sections arrive here already flattened).
 */

export interface DecodedMap {
  /** The compiled file (a module key). */
  file: string;
  /** Where the map came from: `inline` (a data: URL) or the map file's path. */
  from: string;
  /** Absolute path of each original source; null for the bundler's own runtime (`webpack/bootstrap`). */
  sources: (string | null)[];
  /**
   * The mappings in generated order, one entry per segment: 0-based generated line and column, the source
   * index (-1 for a segment that maps to nothing), 0-based original line and column.
   */
  lines: Int32Array;
  columns: Int32Array;
  sourceIndex: Int32Array;
  originalLines: Int32Array;
  originalColumns: Int32Array;
  /**
   * Characters of the compiled file each source's segments cover (from a segment to the next, or to the
   * end of its line), the way source-map-explorer sizes a bundle; `unmappedChars` is the rest (the
   * bundler's runtime, wrappers, whitespace).
   */
  generatedChars: number[];
  unmappedChars: number;
}

export interface OriginalPosition {
  source: number;
  /** 0-based */
  line: number;
  /** 0-based */
  column: number;
}

/** Index of the first segment at or after generated `line` (binary search over the sorted lines). */
function firstOnLine(map: DecodedMap, line: number): number {
  let lo = 0;
  let hi = map.lines.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (map.lines[mid]! < line) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * The original position of generated `line`:`column` (0-based): the last segment on that line at or
 * before the column; else, when the line has none there, the first one after it on the same line (V8
 * places a function at its parameter list, which a bundler may not map). Null where that maps nothing.
 */
export function originalPositionOf(map: DecodedMap, line: number, column: number): OriginalPosition | null {
  let at = firstOnLine(map, line);
  const end = firstOnLine(map, line + 1);
  if (at >= end) return null;
  let best = -1;
  for (; at < end && map.columns[at]! <= column; at++) best = at;
  if (best < 0) {
    for (; at < end; at++) {
      if (map.sourceIndex[at]! >= 0) {
        best = at;
        break;
      }
    }
  }
  // (A segment that maps nothing ends the code before it: the column is in unmapped code.)
  if (best < 0 || map.sourceIndex[best]! < 0) return null;
  return { source: map.sourceIndex[best]!, line: map.originalLines[best]!, column: map.originalColumns[best]! };
}

/**
 * The source of the first mapped segment at or after generated `line`:`column` (0-based), looking no
 * further than `lines` lines down; -1 for none. What a function's body maps to, where its head does not.
 */
export function firstSourceAfter(map: DecodedMap, line: number, column: number, lines: number): number {
  const end = firstOnLine(map, line + lines + 1);
  for (let at = firstOnLine(map, line); at < end; at++) {
    if (map.lines[at] === line && map.columns[at]! < column) continue;
    if (map.sourceIndex[at]! >= 0) return map.sourceIndex[at]!;
  }
  return -1;
}

/** The map's sources that are code from the program or its packages (not the bundler's runtime). */
export function realSourceCount(map: DecodedMap): number {
  return map.sources.reduce((n, s) => n + (s === null ? 0 : 1), 0);
}

/** A map of one source is a compiled file (tsc, swc, babel); of more, a bundle. */
export const isBundleMap = (map: DecodedMap): boolean => realSourceCount(map) > 1;
