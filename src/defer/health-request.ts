/**
 * The request `importcost defer` sends to a server once its start-up is over: does it still answer
 * (any HTTP status counts; a refused or reset connection does not), and does serving it use a deferred
 * package? Bounded: it gives up after REQUEST_TIMEOUT_MS.
 */
import { request } from 'node:http';
import type { RecordingListen } from '../recording/format.js';

/** How long the server has to answer (ms). */
export const REQUEST_TIMEOUT_MS = 10_000;
/** Bytes of the answer read before it is cut (the status is all that is wanted). */
const MAX_BODY_BYTES = 1 << 20;

export interface Answer {
  /** The HTTP status, or null when none came. */
  status: number | null;
  error: string | null;
}

/** Where to connect: the address it listens on, or the loopback for an unspecified one (`::`, `0.0.0.0`). */
function hostOf(listen: RecordingListen): string {
  const host = listen.host;
  if (host === null || host === '::' || host === '0.0.0.0' || host === '') return '127.0.0.1';
  return host;
}

/** GET `path` from the server that listened at `listen`; resolves (never rejects) once it answered or failed. */
export function sendRequest(listen: RecordingListen, path: string, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer> {
  return new Promise((resolveAnswer) => {
    let settled = false;
    const done = (answer: Answer): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolveAnswer(answer);
    };
    const target = listen.path !== null ? { socketPath: listen.path } : { host: hostOf(listen), port: listen.port ?? 80 };
    const req = request({ ...target, path, method: 'GET', agent: false, headers: { 'user-agent': 'importcost-defer', connection: 'close' } }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length;
        if (bytes > MAX_BODY_BYTES) res.destroy();
      });
      const answered = (): void => done({ status: res.statusCode ?? null, error: null });
      res.on('end', answered);
      res.on('close', answered);
      res.on('error', answered);
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, error: `no answer to GET ${path} within ${timeoutMs / 1000} s` });
    }, timeoutMs);
    req.on('error', (err: NodeJS.ErrnoException) => done({ status: null, error: `GET ${path}: ${err.code ?? err.message}` }));
    req.end();
  });
}
