/**
 * The health check of one try: GET requests, one after another, each on a connection of its own, to the
 * address the server listened on. A request passes when its whole answer arrives within the timeout with
 * a status below 500. The first one that does not ends the check.
 */
import { request } from 'node:http';
import type { ListenAddress } from '../recording/format.js';
import type { FitFailure } from './format.js';

export interface HealthResult {
  sent: number;
  ok: number;
  failure: Extract<FitFailure, 'request-timeout' | 'server-error' | 'request-error'> | null;
  /** What the failing request got ("answered 503", "no answer within 5 s", "ECONNREFUSED"). */
  detail: string | null;
}

/** Where to connect for a listen address: a wildcard host (or none) is reached on the loopback. */
export function connectTo(address: ListenAddress): { host: string; port: number } | { socketPath: string } | null {
  if (address.path !== null) return { socketPath: address.path };
  if (address.port === null) return null;
  const host = address.host === null || address.host === '0.0.0.0' || address.host === '::' ? '127.0.0.1' : address.host;
  return { host, port: address.port };
}

/** `count` GETs of `path`, one at a time; stops at the first that fails, or when `ended` aborts (the program is gone). */
export async function checkHealth(
  address: ListenAddress,
  options: { path: string; count: number; timeoutMs: number; ended: AbortSignal },
): Promise<HealthResult> {
  const where = connectTo(address);
  if (where === null) return { sent: 0, ok: 0, failure: 'request-error', detail: 'it listened on no port or path that can be reached' };
  let ok = 0;
  for (let sent = 1; sent <= options.count; sent++) {
    const answer = await getOnce(where, options.path, options.timeoutMs, options.ended);
    if (answer.failure !== null) return { sent, ok, failure: answer.failure, detail: answer.detail };
    ok++;
  }
  return { sent: options.count, ok, failure: null, detail: null };
}

function getOnce(
  where: { host: string; port: number } | { socketPath: string },
  path: string,
  timeoutMs: number,
  ended: AbortSignal,
): Promise<{ failure: HealthResult['failure']; detail: string | null }> {
  return new Promise((resolve) => {
    let settled = false;
    const settle = (failure: HealthResult['failure'], detail: string | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ended.removeEventListener('abort', onEnded);
      req.destroy();
      resolve({ failure, detail });
    };
    // agent: false, a connection a request, as a load balancer's health check makes them.
    const req = request({ ...where, path, method: 'GET', agent: false, headers: { connection: 'close' } }, (res) => {
      const status = res.statusCode ?? 0;
      res.resume();
      res.on('end', () => (status >= 500 ? settle('server-error', `answered ${status}`) : settle(null, null)));
      res.on('error', (err) => settle('request-error', (err as NodeJS.ErrnoException).code ?? err.message));
    });
    const timer = setTimeout(() => settle('request-timeout', `no whole answer within ${timeoutMs} ms`), timeoutMs);
    const onEnded = (): void => settle('request-error', 'the program ended');
    if (ended.aborted) onEnded();
    else ended.addEventListener('abort', onEnded);
    req.on('error', (err) => settle('request-error', (err as NodeJS.ErrnoException).code ?? err.message));
    req.end();
  });
}
