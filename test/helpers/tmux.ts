/**
 * A real terminal for tests: a detached tmux session of a known size, on a server of its own (its own
 * socket, no user config), read back with capture-pane as a person would see it.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const HAS_TMUX = ['/usr/bin/tmux', '/usr/local/bin/tmux'].some((p) => existsSync(p));

export class TmuxPane {
  /** The server's socket, in a folder of its own that kill() removes (tmux leaves the file behind). */
  private readonly dir = mkdtempSync(join(tmpdir(), 'importcost-tmux-'));
  private readonly socket = join(this.dir, 'socket');

  /** Run `script` (sh) in a new session of `columns` x `rows`; it starts at once. */
  constructor(script: string, columns: number, rows: number) {
    this.tmux('new-session', '-d', '-x', String(columns), '-y', String(rows), '-s', 't', script);
  }

  private tmux(...args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, '-f', '/dev/null', ...args], { encoding: 'utf8', timeout: 10_000 });
  }

  /** The rows on screen, or with `history` everything that scrolled off too; `escapes` keeps colours. */
  capture({ history = false, escapes = false } = {}): string[] {
    const args = ['capture-pane', '-p', '-t', 't', ...(history ? ['-S', '-'] : []), ...(escapes ? ['-e'] : [])];
    return this.tmux(...args).replace(/\n$/, '').split('\n');
  }

  /** The terminal gets taller or shorter, as when its window is resized. */
  resize(rows: number): void {
    this.tmux('resize-window', '-t', 't', '-y', String(rows));
  }

  sendKeys(...keys: string[]): void {
    this.tmux('send-keys', '-t', 't', ...keys);
  }

  /** Poll the screen every 50 ms until `ready` holds; throws with the screen after `timeoutMs`. */
  async waitFor(ready: (rows: string[]) => boolean, timeoutMs: number, options: { history?: boolean } = {}): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rows = this.capture(options);
      if (ready(rows)) return rows;
      if (Date.now() > deadline) throw new Error(`the terminal never showed what was waited for; it shows:\n${rows.join('\n')}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Ends the session and the server, and with them whatever still runs in the pane. */
  kill(): void {
    try {
      this.tmux('kill-server');
    } catch {
      // Already gone.
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}
