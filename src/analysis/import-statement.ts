/**
 * The import statement at a site, read from its file's text, and the change that makes it lazy: in the
 * file's own module system, as before and after lines to apply by hand. Pure: text in, text out. Regular
 * expressions, not a parser: a statement they do not recognise gets no suggestion (null), never a wrong one.
 */
import type { Suggestion } from '../defer/format.js';

export type ImportForm =
  /** `const x = require('pkg')` */
  | 'require-binding'
  /** `const { a, b: c } = require('pkg')`, or `const a = require('pkg').a` */
  | 'require-destructure'
  /** `require('pkg')` for its side effects */
  | 'require-bare'
  /** `import * as ns from 'pkg'` */
  | 'esm-namespace'
  /** `import x from 'pkg'`, `import { a } from 'pkg'`, or both */
  | 'esm-named'
  /** `import 'pkg'` */
  | 'esm-bare'
  /** `import type ... from 'pkg'` (TypeScript: nothing loads) */
  | 'esm-type'
  /** Anything else: a require inside an expression, a re-export, `import()`... */
  | 'other';

export interface ImportStatement {
  /** 1-based line the statement starts on. */
  line: number;
  /** The statement's lines as they stand. */
  text: string;
  form: ImportForm;
  /** The name bound to the whole module (require-binding, esm-namespace), or null. */
  binding: string | null;
  /** Names taken from the module: `imported` is the export (`default` for a default import), `local` the binding. */
  names: { imported: string; local: string }[];
  /** The keyword of a require declaration (`const`, `let`, `var`). */
  keyword: string | null;
}

/** Lines looked at above the site for the start of the statement (a destructuring over several lines). */
const MAX_STATEMENT_LINES = 30;
const IDENT = '[\\p{L}\\p{N}_$]+';
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/**
 * Read the statement whose specifier stands at `site` (1-based line and column of its opening quote, as
 * find-import-site gives it).
 */
export function readImportStatement(source: string, site: { line: number; column: number }, specifier: string): ImportStatement | null {
  const lines = source.split('\n');
  const last = site.line - 1;
  if (last < 0 || last >= lines.length) return null;
  // The statement starts at the nearest line above (or at) the site that begins a declaration or an
  // import, with no statement ending in between.
  let first = last;
  for (let i = last; i >= 0 && last - i < MAX_STATEMENT_LINES; i--) {
    if (i < last && /;\s*(\/\/.*)?$/.test(lines[i]!)) break;
    if (/^\s*(import|export|const|let|var|require)\b/.test(lines[i]!)) {
      first = i;
      break;
    }
  }
  const text = lines.slice(first, last + 1).join('\n');
  const quoted = `(?<q>['"\`])${escape(specifier)}\\k<q>`;
  const tail = '\\s*;?\\s*(//.*)?$';
  const statement = (form: ImportForm, more: Partial<ImportStatement> = {}): ImportStatement => ({
    line: first + 1,
    text: text.replace(/\s+$/, ''),
    form,
    binding: null,
    names: [],
    keyword: null,
    ...more,
  });
  const flat = text.replace(/\s+/g, ' ');
  let m: RegExpExecArray | null;
  if (new RegExp(`^ ?import type\\b`, 'u').test(flat)) return statement('esm-type');
  if (new RegExp(`^ ?import ?${quoted}${tail}`, 'u').test(flat)) return statement('esm-bare');
  if ((m = new RegExp(`^ ?import ?\\* ?as (${IDENT}) from ?${quoted}${tail}`, 'u').exec(flat))) return statement('esm-namespace', { binding: m[1]! });
  if ((m = new RegExp(`^ ?import (?:(${IDENT}) ?,? ?)?(?:\\{([^}]*)\\})? ?from ?${quoted}${tail}`, 'u').exec(flat)) && (m[1] || m[2] !== undefined)) {
    const names = m[1] ? [{ imported: 'default', local: m[1] }] : [];
    for (const part of (m[2] ?? '').split(',')) {
      const [imported, local] = part.trim().replace(/^type\s+/, '').split(/\s+as\s+/);
      if (imported && !/^type\s/.test(part.trim())) names.push({ imported, local: local ?? imported });
    }
    return statement('esm-named', { names });
  }
  const require = `require\\( ?${quoted} ?\\)`;
  if ((m = new RegExp(`^ ?(const|let|var) (${IDENT}) ?= ?${require}${tail}`, 'u').exec(flat))) return statement('require-binding', { keyword: m[1]!, binding: m[2]! });
  if ((m = new RegExp(`^ ?(const|let|var) ?\\{([^}]*)\\} ?= ?${require}${tail}`, 'u').exec(flat))) {
    const names: { imported: string; local: string }[] = [];
    for (const part of m[2]!.split(',')) {
      const entry = part.trim();
      if (entry === '') continue;
      // `a`, `a: b`; a default value or a nested pattern is not a plain name: no suggestion.
      const parts = /^([\p{L}\p{N}_$]+)(?: ?: ?([\p{L}\p{N}_$]+))?$/u.exec(entry);
      if (!parts) return statement('other');
      names.push({ imported: parts[1]!, local: parts[2] ?? parts[1]! });
    }
    return statement('require-destructure', { keyword: m[1]!, names });
  }
  if ((m = new RegExp(`^ ?(const|let|var) (${IDENT}) ?= ?${require}\\.(${IDENT})${tail}`, 'u').exec(flat))) {
    return statement('require-destructure', { keyword: m[1]!, names: [{ imported: m[3]!, local: m[2]! }] });
  }
  if (new RegExp(`^ ?${require}${tail}`, 'u').test(flat)) return statement('require-bare');
  return statement('other');
}

/** `@aws-sdk/client-s3` -> `loadClientS3`: a name for the accessor function. */
export function accessorName(pkg: string): string {
  const base = pkg.split('/').pop() ?? pkg;
  const words = base.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const pascal = words.map((w) => w[0]!.toUpperCase() + w.slice(1)).join('');
  return `load${pascal || 'Module'}`;
}

/**
 * The change that makes the statement lazy, or null where there is none to write by hand (an import
 * for side effects, a type import, a form not recognised). `importDefer`: the target's Node runs
 * `import defer` (26.4+, under --js-defer-import-eval).
 */
export function suggestChange(statement: ImportStatement, file: string, pkg: string, specifier: string, importDefer: boolean): Suggestion | null {
  const at = { file, line: statement.line, before: statement.text };
  const indent = /^\s*/.exec(statement.text)?.[0] ?? '';
  const spec = `'${specifier}'`;
  switch (statement.form) {
    case 'require-binding': {
      const name = statement.binding!;
      return {
        ...at,
        kind: 'lazy-require',
        after: `${indent}${statement.keyword} ${name} = () => require(${spec}); // loads at the first call: ${name}.x becomes ${name}().x`,
      };
    }
    case 'require-destructure': {
      const accessor = accessorName(pkg);
      const uses = statement.names.map((n) => `${n.local} becomes ${accessor}().${n.imported}`).join(', ');
      return {
        ...at,
        kind: 'lazy-require',
        after: `${indent}const ${accessor} = () => require(${spec}); // loads at the first call\n${indent}// then ${uses}`,
      };
    }
    case 'esm-namespace': {
      const name = statement.binding!;
      if (importDefer) {
        return { ...at, kind: 'import-defer', after: `${indent}import defer * as ${name} from ${spec}; // evaluated at the first read of ${name} (node --js-defer-import-eval)` };
      }
      return {
        ...at,
        kind: 'dynamic-import',
        after: `${indent}// at the first use, in an async function (the import line goes):\n${indent}const ${name} = await import(${spec});`,
      };
    }
    case 'esm-named': {
      const fields = statement.names.map((n) => (n.imported === n.local ? n.local : `${n.imported}: ${n.local}`)).join(', ');
      return {
        ...at,
        kind: 'dynamic-import',
        after: `${indent}// at the first use, in an async function (the import line goes):\n${indent}const { ${fields} } = await import(${spec});`,
      };
    }
    default:
      return null;
  }
}
