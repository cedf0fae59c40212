/** Above this a value has lost its units' precision (2^53): no budget is that large. */
const LIMIT = Number.MAX_SAFE_INTEGER;
const bounded = (n: number): number | null => (Number.isFinite(n) && n >= 0 && n <= LIMIT ? n : null);

/**
 * Budget values as people write them in importcost.config.json: sizes in decimal units ("60 MB", as
 * formatBytes prints them; "KiB"/"MiB" for binary), times ("800 ms", "2 s"), percentages ("5%").
 * Pure: each returns a number, or null when the text is not of that kind (the caller names the field).
 */

const SIZE_UNITS: Record<string, number> = {
  b: 1,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

/** `60 MB`, `800kB`, `1.5 MiB`, `4096` (a bare number is bytes) -> bytes. */
export function parseSize(value: unknown): number | null {
  if (typeof value === 'number') return bounded(value);
  if (typeof value !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim());
  if (!m) return null;
  const unit = SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? null : bounded(Math.round(Number(m[1]) * unit));
}

/** `800 ms`, `2s`, `1.5 s`, `800` (a bare number is ms) -> ms. */
export function parseTime(value: unknown): number | null {
  if (typeof value === 'number') return bounded(value);
  if (typeof value !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/i.exec(value.trim());
  if (!m) return null;
  return bounded(Number(m[1]) * ((m[2] ?? 'ms').toLowerCase() === 's' ? 1000 : 1));
}

/** `5%` -> 0.05. */
export function parsePercent(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = /^(\d+(?:\.\d+)?)\s*%$/.exec(value.trim());
  return m ? bounded(Number(m[1]) / 100) : null;
}

/** A whole number of modules. */
export function parseCount(value: unknown): number | null {
  if (typeof value === 'number') return Number.isInteger(value) ? bounded(value) : null;
  if (typeof value === 'string' && /^\d+$/.test(value.trim())) return bounded(Number(value.trim()));
  return null;
}
