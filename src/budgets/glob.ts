/**
 * Package-name patterns for budgets: `typescript`, `@aws-sdk/*`, `*`. `*` matches any run of characters,
 * slashes included (so `*` covers scoped packages too), `?` one character. When several patterns match
 * a package, the most specific one governs it: an exact name, then the pattern with the most literal
 * characters (`@aws-sdk/*` over `*`), as CODEOWNERS-style configs read.
 */

export function globToRegExp(pattern: string): RegExp {
  const body = pattern
    .split('')
    .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

export const matchesPackage = (pattern: string, name: string): boolean => globToRegExp(pattern).test(name);

/** Higher is more specific; an exact name beats any glob. */
export function specificity(pattern: string): number {
  const literal = pattern.replace(/[*?]/g, '').length;
  return /[*?]/.test(pattern) ? literal : 10_000 + literal;
}

/** The pattern that governs `name`, or null when none matches. */
export function governingPattern(patterns: readonly string[], name: string): string | null {
  let best: string | null = null;
  for (const p of patterns) {
    if (matchesPackage(p, name) && (best === null || specificity(p) > specificity(best))) best = p;
  }
  return best;
}
