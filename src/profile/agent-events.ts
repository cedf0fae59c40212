/**
 * The CLI's side of the agents' event streams: every process and thread of the command appends to
 * `<key>.events` in the work folder (src/agent/event-stream.cts); this reads what is new in each, as it
 * comes, and keeps what each agent has said.
 */
import { closeSync, fstatSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { EventHello, EventRecord, RecordingListen, StopReason } from '../recording/format.js';

/** What one agent (a process, or a worker thread) has said so far. */
export interface AgentTrack {
  key: string;
  hello: EventHello | null;
  /** Every record after the hello, in order (the partial report is made from them). */
  records: EventRecord[];
  /** performance.now() of this CLI when the stream last grew: a running agent writes every tick. */
  lastHeardMs: number;
  listen: RecordingListen | null;
  /** The first part of the recording (everything but the heap) is on disk. */
  modules: boolean;
  /** The whole recording is on disk, and why the agent stopped. */
  done: StopReason | null;
  /** The heap's last reading: ms after the agent's start, used bytes. */
  lastHeap: { atMs: number; bytes: number } | null;
  /** CommonJS loads begun and ended so far (for progress). */
  loads: number;
}

const SUFFIX = '.events';
/** Bytes read at a time from one stream. */
const CHUNK = 1 << 16;

export class AgentEvents {
  readonly agents = new Map<string, AgentTrack>();
  private readonly offsets = new Map<string, number>();
  /** Bytes after a stream's last newline: a line still being written. */
  private readonly partial = new Map<string, Buffer>();

  constructor(private readonly dir: string) {}

  /** Read what is new in every stream; returns the keys of the agents that said something. */
  poll(now: number): string[] {
    let names: string[];
    try {
      names = readdirSync(this.dir).filter((name) => name.endsWith(SUFFIX));
    } catch {
      return [];
    }
    const changed: string[] = [];
    for (const name of names) {
      const key = name.slice(0, -SUFFIX.length);
      const fresh = this.readNew(join(this.dir, name), key);
      if (fresh.length === 0) continue;
      let track = this.agents.get(key);
      if (!track) {
        track = { key, hello: null, records: [], lastHeardMs: now, listen: null, modules: false, done: null, lastHeap: null, loads: 0 };
        this.agents.set(key, track);
      }
      track.lastHeardMs = now;
      const bytes = Buffer.concat([this.partial.get(key) ?? Buffer.alloc(0), fresh]);
      // Split at the last newline in bytes, so a character cut by a write still in progress stays whole.
      const end = bytes.lastIndexOf(0x0a) + 1;
      this.partial.set(key, bytes.subarray(end));
      for (const line of bytes.subarray(0, end).toString('utf8').split('\n')) {
        if (line === '') continue;
        let record: EventRecord;
        try {
          record = JSON.parse(line) as EventRecord;
        } catch {
          continue;
        }
        apply(track, record);
      }
      changed.push(key);
    }
    return changed;
  }

  private readNew(file: string, key: string): Buffer {
    let fd: number;
    try {
      fd = openSync(file, 'r');
    } catch {
      return Buffer.alloc(0);
    }
    try {
      const size = fstatSync(fd).size;
      let offset = this.offsets.get(key) ?? 0;
      const chunks: Buffer[] = [];
      while (offset < size) {
        const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - offset));
        const read = readSync(fd, buffer, 0, buffer.length, offset);
        if (read <= 0) break;
        chunks.push(buffer.subarray(0, read));
        offset += read;
      }
      this.offsets.set(key, offset);
      return Buffer.concat(chunks);
    } finally {
      closeSync(fd);
    }
  }
}

function apply(track: AgentTrack, record: EventRecord): void {
  switch (record[0]) {
    case 'hello':
      track.hello = record[1];
      return;
    case 'modules':
      track.modules = true;
      return;
    case 'done':
      track.done = record[1];
      return;
    case 'l':
      track.listen = { atMs: record[1], viaCluster: record[2], ...(record[3] ?? { port: null, host: null, path: null }) };
      break;
    case 'h':
      track.lastHeap = { atMs: record[1], bytes: record[2] };
      break;
    case 'o':
      track.loads++;
      break;
  }
  track.records.push(record);
}
