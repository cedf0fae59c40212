/**
 * Known errors, one table. The CLI prints `importcost: <message>` and `  hint: <hint>` on one line
 * each, with no stack, and exits 2. Anything else is a bug and is rethrown with its stack.
 * Exit codes: 0 ok, 1 a budget or check failed, 2 a known error; `profile` passes the target's own
 * exit code through.
 */
export type ErrorKind = 'usage' | 'config' | 'report-format' | 'target' | 'output' | 'no-node';

export class ImportcostError extends Error {
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly hint: string,
    /** 2 for every known error, but a target's own code where importcost passes it through (no-node). */
    readonly exitCode = 2,
  ) {
    super(message);
    this.name = 'ImportcostError';
  }
}

export const usageError = (message: string, hint = 'run `importcost --help` for the usage'): ImportcostError =>
  new ImportcostError('usage', message, hint);
export const configError = (message: string, hint: string): ImportcostError => new ImportcostError('config', message, hint);
export const targetError = (message: string, hint: string): ImportcostError => new ImportcostError('target', message, hint);
export const outputError = (message: string, hint: string): ImportcostError => new ImportcostError('output', message, hint);
/** The command ran no Node process (nothing to profile); its own exit code passes through. */
export const noNodeError = (message: string, hint: string, exitCode: number): ImportcostError => new ImportcostError('no-node', message, hint, exitCode);
export const reportFormatError = (message: string, hint: string): ImportcostError =>
  new ImportcostError('report-format', message, hint);

export const isImportcostError = (err: unknown): err is ImportcostError => err instanceof ImportcostError;
