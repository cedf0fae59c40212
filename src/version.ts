import { readFileSync } from 'node:fs';

/** The version in package.json, read once (the report and the speedscope file carry it). */
export const IMPORTCOST_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
