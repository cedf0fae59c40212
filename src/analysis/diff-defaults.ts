/** `importcost diff`'s default threshold, in a module of its own so the CLI reads it without loading the diff. */
export const DEFAULT_MIN_BYTES = 10_000;
