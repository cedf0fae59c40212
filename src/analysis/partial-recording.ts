/**
 * A recording made from an agent's event stream, for a process or thread that ended before its agent
 * wrote one (killed, out of memory, blocked until the watchdog stopped it, a worker thread terminated):
 * what it loaded, in what order, with what times, and its heap's last reading as it ran, of which nothing
 * is attributed (no profile was read). Pure.
 */
import type { CjsLoadTuple, EsmEvent, EventHello, EventRecord, Recording, RecordingModules, StopReason } from '../recording/format.js';
import { RECORDING_SCHEMA } from '../recording/format.js';

export interface PartialEnd {
  reason: StopReason;
  exitCode: number | null;
  error: string | null;
  /** The heap's used bytes when it ended, where known (Node's fatal-error report): in place of the last reading. */
  heapBytes?: number;
}

/**
 * The whole recording from the stream. `modules`, the first part of the recording where the agent got
 * that far, is used in place of the stream's record of loads (it has the import graph too).
 */
export function recordingFromEvents(hello: EventHello, records: readonly EventRecord[], end: PartialEnd, modules?: RecordingModules): Recording {
  const cjs: CjsLoadTuple[] = [];
  const byId = new Map<number, CjsLoadTuple>();
  const esm: EsmEvent[] = [];
  let lastMs = 0;
  let lastHeap: { atMs: number; bytes: number } | null = null;
  let listen: Recording['listen'] = null;
  for (const record of records) {
    switch (record[0]) {
      case 'o': {
        const [, id, path, parent, startMs, request, parentFile] = record;
        // Until its end is seen, a load ends where the stream does, and did not finish (ok false).
        const tuple: CjsLoadTuple = [id, path, parent, startMs, startMs, false, request, 0, parentFile, -1];
        cjs.push(tuple);
        byId.set(id, tuple);
        lastMs = Math.max(lastMs, startMs);
        break;
      }
      case 'c': {
        const tuple = byId.get(record[1]);
        if (tuple) {
          tuple[4] = record[2];
          tuple[5] = record[3];
          tuple[7] = record[4];
          tuple[9] = record[5];
        }
        lastMs = Math.max(lastMs, record[2]);
        break;
      }
      case 'e':
        esm.push(record[1]);
        break;
      case 'h':
        lastHeap = { atMs: record[1], bytes: record[2] };
        lastMs = Math.max(lastMs, record[1]);
        break;
      case 'l':
        listen = { atMs: record[1], viaCluster: record[2], ...(record[3] ?? { port: null, host: null, path: null }) };
        lastMs = Math.max(lastMs, record[1]);
        break;
    }
  }
  for (const tuple of cjs) if (!tuple[5] && tuple[4] === tuple[3]) tuple[4] = lastMs;
  const atMs = end.heapBytes !== undefined ? lastMs : (lastHeap?.atMs ?? lastMs);
  const first: RecordingModules = modules ?? {
    schema: RECORDING_SCHEMA,
    node: hello.node,
    pid: hello.process.pid,
    process: hello.process,
    listen,
    argv: hello.process.argv,
    cwd: hello.cwd,
    startedAt: hello.startedAt,
    timeOrigin: hello.startedAt,
    sampler: 'inspector',
    sampleInterval: 0,
    sampling: 'deterministic',
    exact: false,
    trampolinePrefix: 'importcost-load:',
    agentUrl: '',
    entryDoneMs: null,
    cjs,
    esm,
    esmTruncated: false,
  };
  return {
    ...first,
    stop: { reason: end.reason, atMs: lastMs, exitCode: end.exitCode, error: end.error },
    heap: {
      baselineBytes: hello.baselineBytes,
      // Never below the baseline: a reading is taken as the program runs, with garbage in it.
      endBytes: Math.max(hello.baselineBytes, end.heapBytes ?? lastHeap?.bytes ?? hello.baselineBytes),
      unsampledSpaces: [],
      spacesAtBaseline: {},
      spacesAtEnd: {},
      lastReadingAtMs: atMs,
    },
    profile: null,
  };
}
