/** What a command may touch of the outside world: passed in, so tests run commands in-process. */
export interface Io {
  argv: string[];
  cwd: string;
  env: Record<string, string | undefined>;
  stdout: { write(s: string): unknown; isTTY?: boolean };
  stderr: { write(s: string): unknown; isTTY?: boolean };
  /** Forward SIGINT/SIGTERM to a running target (the real process does; in-process tests do not). */
  forwardSignals?: boolean;
  /** v8.cachedDataVersionTag() of the CLI's node, started with no flags (ProfileOptions.codeCacheTag). */
  codeCacheTag?: number;
}
