/**
 * The progress line: what importcost is doing while a step takes more than a moment (a target starting
 * under the agent, each run of `check`). Commands create one and call it; only reporters print
 * (shared/STYLE.md).
 *
 * - On a terminal (the stream a TTY, TERM not dumb, its height known): once the steps have run for a
 *   second, one line on the terminal's bottom row shows the current step, its detail and how long it
 *   has run, redrawn every 100 ms until done().
 * - Elsewhere (a pipe, a CI log): each step is one plain line, printed when it begins; no details.
 * - With --quiet: nothing.
 *
 * The profiled program writes to the same terminal at any moment, so a line redrawn with `\r` would be
 * split by its output, or would split it. Instead the bottom row leaves the terminal's scroll region
 * (DECSTBM: rows 1..N-1 scroll, row N stays), as apt keeps its "Progress: [ 40%]" line: the program's
 * output scrolls above the line and is never drawn over. Each redraw is one write(): save the cursor
 * (DECSC, which keeps the colours too), draw the bottom row, restore the cursor (DECRC). Linux's tty
 * layer takes one write() whole before another process's next one (and Node writes to a TTY
 * synchronously), so the program's next character lands where its cursor was, in its own colours.
 */
import { pickStyle } from './style.js';

/** A stream the line is drawn on: process.stderr, or a test's stand-in. */
export interface ProgressStream {
  write(s: string): unknown;
  isTTY?: boolean;
  rows?: number;
  columns?: number;
  on?(event: 'resize', listener: () => void): unknown;
  off?(event: 'resize', listener: () => void): unknown;
}

export interface Progress {
  /** A step begins, and replaces the one before: `profiling server.js (until auto)`. */
  step(label: string): void;
  /** How far the current step has got (`183 modules`): shown on the terminal line only. */
  detail(text: string): void;
  /** The steps are over: the terminal line goes and the whole screen scrolls again. Call before printing results. */
  done(): void;
}

export interface ProgressOptions {
  quiet?: boolean;
  /** How long the steps run before the terminal line appears (ms): a quick run shows only its result. */
  delayMs?: number;
  /**
   * Put the terminal back (the whole screen scrolling) on SIGINT, SIGTERM or SIGHUP, then let the signal
   * do what it would have: the real CLI process only.
   */
  restoreOnSignals?: boolean;
  /** Where there is no terminal, print nothing for the steps (a command whose own lines already say them). */
  terminalOnly?: boolean;
}

/** Redraws while the line is up (ms): the time on it counts tenths of a second. */
const REDRAW_MS = 100;
const DEFAULT_DELAY_MS = 1000;
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

const ESC = '\u001b';
const SAVE = `${ESC}7`;
const RESTORE = `${ESC}8`;
const CLEAR_LINE = `${ESC}[2K`;
/** DECSTBM: rows top..bottom scroll (1-based); without them, the whole screen. It also homes the cursor. */
const region = (top?: number, bottom?: number): string => (top === undefined ? `${ESC}[r` : `${ESC}[${top};${bottom}r`);
/**
 * CUP to the bottom row, whatever the screen's height: terminals clamp a row past the end to the last
 * one. A row number of ours can be stale: a redraw due just as the terminal is resized can run before
 * the resize event (SIGWINCH) reaches us. Drawn at the row number, the line took the place of one of
 * the program's lines in tmux in 1 of 11 test runs with a resize; in none of 22 since.
 */
const BOTTOM_ROW = `${ESC}[9999;1H`;

const noop: Progress = { step() {}, detail() {}, done() {} };

export function createProgress(stream: ProgressStream, env: Record<string, string | undefined>, options: ProgressOptions = {}): Progress {
  if (options.quiet) return noop;
  const tty = stream.isTTY === true && env.TERM !== 'dumb' && (stream.rows ?? 0) >= 3;
  if (!tty) {
    if (options.terminalOnly) return noop;
    return {
      step: (label) => void stream.write(`importcost: ${label}\n`),
      detail() {},
      done() {},
    };
  }
  return new TerminalLine(stream, env, options);
}

class TerminalLine implements Progress {
  private label = '';
  private detailText = '';
  private stepAt = 0;
  private delay: NodeJS.Timeout | undefined;
  private redraw: NodeJS.Timeout | undefined;
  /** Rows of the screen while the line is up; 0 while it is not. */
  private rows = 0;
  private readonly style;
  private readonly onResize = () => this.resize();
  private readonly onSignal = (signal: NodeJS.Signals) => this.signalled(signal);

  constructor(
    private readonly stream: ProgressStream,
    env: Record<string, string | undefined>,
    private readonly options: ProgressOptions,
  ) {
    this.style = pickStyle(stream, env);
  }

  step(label: string): void {
    this.label = label;
    this.detailText = '';
    this.stepAt = Date.now();
    if (this.rows > 0) this.draw();
    else if (!this.delay) {
      this.delay = setTimeout(() => this.show(), this.options.delayMs ?? DEFAULT_DELAY_MS);
      this.delay.unref();
    }
  }

  detail(text: string): void {
    this.detailText = text;
  }

  done(): void {
    clearTimeout(this.delay);
    this.delay = undefined;
    if (this.rows === 0) return;
    this.stream.write(this.teardown());
    this.hide();
  }

  private show(): void {
    this.delay = undefined;
    this.rows = this.stream.rows ?? 0;
    if (this.rows < 3) {
      this.rows = 0;
      return;
    }
    this.stream.write(this.setup() + this.line());
    this.redraw = setInterval(() => this.draw(), REDRAW_MS);
    this.redraw.unref();
    this.stream.on?.('resize', this.onResize);
    if (this.options.restoreOnSignals) for (const signal of SIGNALS) process.on(signal, this.onSignal);
  }

  /** Stop drawing (the screen as it is). */
  private hide(): void {
    clearInterval(this.redraw);
    this.stream.off?.('resize', this.onResize);
    for (const signal of SIGNALS) process.off(signal, this.onSignal);
    this.rows = 0;
  }

  /**
   * Make room and take the bottom row out of the scroll region. IND (ESC D) moves down a row, scrolling
   * the screen when the cursor is on the bottom one; CUU (ESC [1A) comes back up. Neither changes the
   * column, so a line the program has half written goes on where it stopped.
   */
  private setup(): string {
    return `${ESC}D${ESC}[1A${SAVE}${region(1, this.rows - 1)}${RESTORE}`;
  }

  /** The whole screen scrolls again, and the line's row is cleared. */
  private teardown(): string {
    return `${SAVE}${region()}${BOTTOM_ROW}${CLEAR_LINE}${RESTORE}`;
  }

  private draw(): void {
    this.stream.write(this.line());
  }

  /** The bottom row, cut to the screen's width less one column: a character in the last column could wrap and scroll it. */
  private line(): string {
    const seconds = `${((Date.now() - this.stepAt) / 1000).toFixed(1)} s`;
    const width = Math.max((this.stream.columns ?? 80) - 1, 0);
    const text = `importcost: ${this.label}${this.detailText ? `, ${this.detailText}` : ''}`;
    const room = width - seconds.length - 2;
    const shown = room <= 0 ? '' : [...text].length > room ? `${[...text].slice(0, Math.max(room - 3, 0)).join('')}...` : text;
    return `${SAVE}${BOTTOM_ROW}${CLEAR_LINE}${shown}  ${this.style.dim(seconds)}${RESTORE}`;
  }

  /**
   * A new size: give the screen back, then take its new bottom row. Terminals move rows about as they
   * resize (tmux, grown, brings rows back from its scrollback, and left a copy of the old line a row
   * above the new bottom one), so a row cleared by its old number could be the program's by now; instead
   * everything below the cursor is cleared (ED), where the program has written nothing (it writes at its
   * cursor; a half-written line keeps what is left of the cursor).
   */
  private resize(): void {
    this.stream.write(`${SAVE}${region()}${RESTORE}${ESC}[J`);
    this.hide();
    this.show();
  }

  /** Ctrl-C and the like: the screen must not be left with a row that never scrolls. */
  private signalled(signal: NodeJS.Signals): void {
    this.done();
    // No one else listens (profile forwards signals to its target while it runs): the default action,
    // which a listener of ours had held off.
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  }
}
