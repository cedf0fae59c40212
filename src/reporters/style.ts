/**
 * Colours for what reporters print: on a terminal, or where FORCE_COLOR asks for them (the rules in
 * pickStyle). Only reporters print (shared/STYLE.md); they take a Style and never write escapes of
 * their own for colour.
 */
export interface Style {
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  yellow(s: string): string;
}

const plain: Style = { bold: (s) => s, dim: (s) => s, red: (s) => s, yellow: (s) => s };
const ansi = (open: number, close: number) => (s: string) => `\u001b[${open}m${s}\u001b[${close}m`;
const colored: Style = { bold: ansi(1, 22), dim: ansi(2, 22), red: ansi(31, 39), yellow: ansi(33, 39) };

/**
 * Colours on a terminal, never with NO_COLOR (https://no-color.org) or TERM=dumb. FORCE_COLOR decides
 * before both, anywhere (a CI log that shows colours): `1`, `2`, `3`, `true` or empty for colours, any
 * other value for none, as Node's own streams read it (tty.WriteStream.getColorDepth).
 */
export function pickStyle(stream: { isTTY?: boolean }, env: Record<string, string | undefined>): Style {
  const force = env.FORCE_COLOR;
  if (force !== undefined) return ['', '1', '2', '3', 'true'].includes(force) ? colored : plain;
  return stream.isTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb' ? colored : plain;
}
