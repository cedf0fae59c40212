import type { ProgressStream } from '../reporters/progress.js';

/** What a command may touch of the outside world: passed in, so tests run commands in-process. */
export interface Io {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  /** Summaries and progress (process.stderr: a terminal's size, and its resize events, for the progress line). */
  stderr: ProgressStream;
  /**
   * The real process (in-process tests are not): forward SIGINT/SIGTERM to a running target, and put the
   * terminal back before a signal ends importcost.
   */
  forwardSignals?: boolean;
  /** v8.cachedDataVersionTag() of the CLI's node, started with no flags (ProfileOptions.codeCacheTag). */
  codeCacheTag?: number;
}
