/**
 * The agent's running account to the CLI: one file a process or thread (`<dir>/<key>.events`), appended
 * to as the run goes, one JSON array a line (EventRecord in src/recording/format.ts). What loaded, in what
 * order and when, the heap's last reading, a listen(), and when each part of the recording is on disk.
 * A target that crashes, is killed or runs out of memory still leaves all it flushed; one that blocks its
 * event loop still leaves every load up to the block, since loads flush as they go.
 *
 * Cheap by construction: per load, one comparison (is a flush due?). A flush, at most every FLUSH_MS while
 * modules load and every TICK_MS otherwise, serializes what is new since the last one in one write.
 * Built-ins only.
 */
import fs = require('node:fs');
import v8 = require('node:v8');
import type { CjsLoadTuple, EsmEvent, EventHello, EventRecord } from '../recording/format.js';
import type { AgentContext, EventStream } from './types.cjs';

/** While modules load, at most this long (ms) between flushes; a load that ends later flushes. */
const FLUSH_MS = 5;
/** Otherwise (ESM loading, an idle loop), a timer flushes this often (ms). */
const TICK_MS = 100;

/**
 * Open `file` and write the first record. What the flushes read (the CommonJS load tuples, the ESM events)
 * is attached once the hooks exist.
 */
function openEventStream(ctx: AgentContext, file: string, hello: EventHello): EventStream {
  let fd = -1;
  /** The stream file's identity: the descriptor is checked against it before each write (see write). */
  let ino = -1;
  let dev = -1;
  const open = (): void => {
    try {
      fd = fs.openSync(file, 'a');
      const stat = fs.fstatSync(fd);
      ino = stat.ino;
      dev = stat.dev;
    } catch {
      // No stream: the recording files still reach the CLI.
      fd = -1;
    }
  };
  /**
   * Whether `fd` is still this stream's file. A program may close descriptors it did not open (a daemon
   * tidying up) and get the same number back for a file of its own: writing then would put the agent's
   * lines into the program's file. One fstat a flush (7 us measured; a flush comes at most every 5 ms).
   */
  const ours = (): boolean => {
    try {
      const stat = fs.fstatSync(fd);
      return stat.ino === ino && stat.dev === dev;
    } catch {
      return false;
    }
  };
  open();
  let cjs: CjsLoadTuple[] = [];
  let drainEsm: () => EsmEvent[] = () => [];
  /** Tuples [0, sentOpen) have had their opening sent. */
  let sentOpen = 0;
  /** Ids whose opening was sent and whose end was not (the loads still on the stack then: a few). */
  let pendingEnd: number[] = [];
  let lastHeapMs = -Infinity;
  const write = (text: string): void => {
    if (fd < 0) return;
    // Not ours any more: left to the program, and the stream reopened (appended to where it ended).
    if (!ours()) open();
    if (fd < 0) return;
    try {
      fs.writeSync(fd, text);
    } catch {
      // The CLI's folder is gone or full: stop streaming, never disturb the program.
      fd = -1;
    }
  };
  const line = (record: EventRecord): string => `${JSON.stringify(record)}\n`;
  const ended = (tuple: CjsLoadTuple): EventRecord => ['c', tuple[0], tuple[4] - ctx.t0, tuple[5], tuple[7], tuple[9]];
  const stream: EventStream = {
    nextFlushMs: 0,
    attach(records, drain) {
      cjs = records;
      drainEsm = drain;
    },
    flush() {
      const now = ctx.now();
      stream.nextFlushMs = now + FLUSH_MS;
      let text = '';
      if (pendingEnd.length > 0) {
        const still: number[] = [];
        for (const id of pendingEnd) {
          const tuple = cjs[id]!;
          if (tuple[4] !== 0) text += line(ended(tuple));
          else still.push(id);
        }
        pendingEnd = still;
      }
      for (; sentOpen < cjs.length; sentOpen++) {
        const tuple = cjs[sentOpen]!;
        text += line(['o', tuple[0], tuple[1], tuple[2], tuple[3] - ctx.t0, tuple[6], tuple[8]]);
        if (tuple[4] !== 0) text += line(ended(tuple));
        else pendingEnd.push(tuple[0]);
      }
      for (const event of drainEsm()) text += line(['e', event]);
      // The heap's last reading (not after a GC): what a report of a process that died says it had.
      if (now - lastHeapMs >= TICK_MS) {
        lastHeapMs = now;
        text += line(['h', now - ctx.t0, v8.getHeapStatistics().used_heap_size]);
      }
      if (text !== '') write(text);
    },
    record(record) {
      stream.flush();
      write(line(record));
    },
    close() {
      clearInterval(timer);
      if (fd >= 0 && ours()) fs.closeSync(fd);
      fd = -1;
    },
  };
  const timer = setInterval(() => {
    if (!ctx.done) stream.flush();
  }, TICK_MS).unref();
  write(line(['hello', hello]));
  return stream;
}

export = { openEventStream };
