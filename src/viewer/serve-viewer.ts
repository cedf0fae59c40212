/**
 * The `importcost view` server: loopback only, a fixed table of paths, GET and HEAD only.
 * Request paths are looked up verbatim in that table and never joined to a folder, so `..`, encoded
 * dots or slashes and any other path simply are not in it (404). No directory listings, nothing else
 * on disk is reachable. The Host header must name this server (a DNS-rebinding page gets 404 too).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join } from 'node:path';
import { outputError } from '../errors.js';
import { listSpeedscopeFiles, speedscopeReleaseDir } from './assets.js';
import type { ViewerInput } from './load-input.js';
import { SERVED, processProfilePrefix, renderViewerPage } from './render-page.js';

export interface ViewerServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

interface Entry {
  type: string;
  /** Bytes, or a file in speedscope's release folder read when asked for. */
  body: Buffer | { file: string };
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/plain; charset=utf-8',
};

/** The table of everything the server answers: the page, speedscope's files, and the one profile. */
export function buildRoutes(input: ViewerInput): Map<string, Entry> {
  const routes = new Map<string, Entry>();
  const page: Entry = { type: TYPES['.html']!, body: Buffer.from(renderViewerPage(input, 'served')) };
  routes.set('/', page);
  routes.set('/index.html', page);
  const dir = speedscopeReleaseDir();
  for (const name of listSpeedscopeFiles(dir)) {
    routes.set(`/speedscope/${name}`, { type: TYPES[extname(name)] ?? 'application/octet-stream', body: { file: join(dir, name) } });
  }
  // One copy of the profile per speedscope profile, each opening on its own (activeProfileIndex), so the
  // page can show any of them in one click: speedscope reads the index once, at load.
  const addProfiles = (view: ViewerInput, prefix: string): void =>
    view.speedscope.profiles.forEach((_, i) => {
      const body = Buffer.from(JSON.stringify({ ...view.speedscope, activeProfileIndex: i }));
      routes.set(`${prefix}${i}.speedscope.json`, { type: TYPES['.json']!, body });
    });
  addProfiles(input, SERVED.profilePrefix);
  // The run's other processes and threads, each under a prefix of its own (the page picks one).
  input.processes?.forEach((p, k) => {
    if (p.input) addProfiles(p.input, processProfilePrefix(k));
  });
  return routes;
}

/** Serve the viewer on 127.0.0.1 (`port` 0: a free one). Resolves once listening. */
export async function serveViewer(input: ViewerInput, options: { port?: number } = {}): Promise<ViewerServer> {
  const routes = buildRoutes(input);
  let allowedHosts = new Set<string>();
  const server: Server = createServer((req, res) => handle(routes, allowedHosts, req, res));
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(
        err.code === 'EADDRINUSE' || err.code === 'EACCES'
          ? outputError(`cannot listen on 127.0.0.1:${options.port} (${err.code})`, 'choose another --port, or leave it out for a free one')
          : err,
      ),
    );
    server.listen(options.port ?? 0, '127.0.0.1', () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  return {
    url: `http://127.0.0.1:${port}/`,
    port,
    close: () =>
      new Promise<void>((resolveClose) => {
        server.close(() => resolveClose());
        server.closeAllConnections();
      }),
  };
}

function handle(routes: Map<string, Entry>, hosts: Set<string>, req: IncomingMessage, res: ServerResponse): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Referrer-Policy', 'no-referrer');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
    return;
  }
  const rawUrl = req.url ?? '';
  // The query is ignored; the path is compared as sent, undecoded.
  const path = rawUrl.split('?', 1)[0]!;
  const entry = hosts.has(req.headers.host ?? '') ? routes.get(path) : undefined;
  if (!entry) {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  let body: Buffer;
  try {
    body = Buffer.isBuffer(entry.body) ? entry.body : readFileSync(entry.body.file);
  } catch {
    res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': entry.type, 'Content-Length': body.length });
  res.end(req.method === 'HEAD' ? undefined : body);
}
