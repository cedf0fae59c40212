/**
 * Where the require() or import of `specifier` stands in its importer's source. The agent records the
 * request and the importer, not the line (a stack per load would cost time and keep functions alive),
 * so the line is found afterwards in the text. Pure.
 * The first quoted specifier (', " or `) after `from`, `import`, `import(` or `require(`; else, unless
 * `statementOnly`, the first quoted one anywhere.
 */
export function findImportSite(
  source: string,
  specifier: string,
  statementOnly = false,
): { line: number; column: number } | null {
  let statement = -1;
  let fallback = -1;
  for (const quote of ["'", '"', '`']) {
    const needle = quote + specifier + quote;
    let at = source.indexOf(needle);
    while (at >= 0 && (statement < 0 || at < statement)) {
      const before = source.slice(Math.max(0, at - 16), at);
      if (/(?:\bfrom|\bimport|\bimport\s*\(|\brequire\s*\()\s*$/.test(before)) {
        statement = at;
        break;
      }
      if (fallback < 0 || at < fallback) fallback = at;
      at = source.indexOf(needle, at + needle.length);
    }
  }
  if (statement >= 0) return lineColumn(source, statement);
  return fallback >= 0 && !statementOnly ? lineColumn(source, fallback) : null;
}

/** 1-based line and column of a character offset. */
function lineColumn(source: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, column: offset - lineStart + 1 };
}

/** Every require(), import and export-from specifier in a source, in order, with its 1-based line and column. */
export function listImportSites(source: string): { specifier: string; line: number; column: number }[] {
  const found: { specifier: string; offset: number }[] = [];
  const pattern = /(?:\brequire\s*\(\s*|\bimport\s*\(\s*|\bfrom\s*|\bimport\s*)(['"`])([^'"`\n]+)\1/g;
  for (let m = pattern.exec(source); m !== null; m = pattern.exec(source)) found.push({ specifier: m[2]!, offset: m.index + m[0].length - m[2]!.length - 2 });
  // Line starts once, then each offset's line by binary search (bundles hold thousands of these).
  const starts = [0];
  for (let i = source.indexOf('\n'); i >= 0; i = source.indexOf('\n', i + 1)) starts.push(i + 1);
  return found.map(({ specifier, offset }) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { specifier, line: lo + 1, column: offset - starts[lo]! + 1 };
  });
}

/**
 * Every import or require of a package in `source` (`pkg` or a subpath `pkg/...`), in file order: the
 * specifier as written and where its opening quote stands (1-based). Not `import()`: that one is lazy
 * already.
 */
export function findPackageImportSites(source: string, pkg: string): { specifier: string; line: number; column: number }[] {
  const escaped = pkg.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
  const pattern = new RegExp(`(?:\\bfrom|\\bimport|\\brequire\\s*\\()\\s*((['"\`])(${escaped}(?:/[^'"\`\\n]*)?)\\2)`, 'g');
  const sites: { specifier: string; line: number; column: number }[] = [];
  for (const m of source.matchAll(pattern)) {
    const quoteAt = m.index + m[0].length - m[1]!.length;
    sites.push({ specifier: m[3]!, ...lineColumn(source, quoteAt) });
  }
  return sites;
}
