/** Option parsers shared by the commands: bad values become one-line usage errors (exit 2). */
import { InvalidArgumentError } from 'commander';
import type { Until } from '../profile/run-profile.js';

export const invalid = (message: string): never => {
  throw new InvalidArgumentError(message);
};

/** `800`, `800ms`, `2s`, `1.5s` -> ms. */
export function parseDuration(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s)?$/.exec(text.trim());
  if (!m) return invalid(`expected a duration such as 800, 800ms or 2s, got "${text}"`);
  return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
}

/** `32768`, `32k`, `32KiB` -> bytes. */
export function parseBytes(text: string): number {
  const m = /^(\d+)\s*(k|kb|kib|m|mb|mib)?$/i.exec(text.trim());
  if (!m) return invalid(`expected a byte count such as 32768 or 32k, got "${text}"`);
  const unit = (m[2] ?? '').toLowerCase();
  const bytes = Number(m[1]) * (unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 * 1024 : 1);
  if (bytes < 128) return invalid(`the sample interval must be at least 128 bytes, got ${bytes}`);
  return bytes;
}

export function parseUntil(text: string): Until {
  if (text === 'auto' || text === 'exit' || text === 'listening' || text === 'idle') return text;
  if (/^\d/.test(text)) return parseDuration(text);
  return invalid(`expected auto, exit, listening, idle or a time such as 5s, got "${text}"`);
}

export function parsePositive(text: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) return invalid(`expected a positive whole number, got "${text}"`);
  return n;
}

