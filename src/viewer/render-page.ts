/**
 * The viewer page: viewer/index.html with its stylesheet, script and data written inline. Two ways to
 * reach speedscope:
 * - `served`: the page is served by `importcost view`; speedscope runs from the same server and loads
 *   the profile with `index.html#profileURL=...` (speedscope only honours that over http(s)).
 * - `inline`: one self-contained file for file:// (export --html). speedscope's script, stylesheet and
 *   font go into an iframe's srcdoc, and the profile is handed over by postMessage and replayed as a
 *   paste (speedscope imports pasted text; see onDocumentPaste in speedscope src/views/application.tsx),
 *   so nothing is fetched.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { SpeedscopeFile } from '../exporters/speedscope.js';
import { VIEWER_DIR, speedscopeReleaseDir } from './assets.js';
import type { ViewerInput } from './load-input.js';

export type SpeedscopeSource =
  | { mode: 'served'; index: string; profilePrefix: string }
  | { mode: 'inline'; doc: string; file: SpeedscopeFile };

/** What viewer/summary.js reads from the page's `#importcost-data` script element. */
export interface ViewerData {
  title: string;
  source: string;
  report: ViewerInput['report'];
  packages: ViewerInput['packages'];
  /** What `importcost defer` measured, or null. */
  defer: ViewerInput['defer'];
  /** Names and units of the speedscope profiles, in file order. */
  profiles: { name: string; unit: string }[];
  speedscope: SpeedscopeSource;
  /**
   * Every process and thread of the run (ViewerInput.processes), each with its own page data; the page
   * shows the one `?p=<label>` names, else this one. (Inline, speedscope's document is on the root only.)
   */
  processes?: { label: string; role: string; pid: number; threadId: number; heapBytes: number; modules: number; data: ViewerData | null }[];
}

/** Paths the server answers for speedscope and the profile; the page builds its iframe URLs from them. */
export const SERVED = { index: '/speedscope/index.html', profilePrefix: '/profile/' } as const;

/** Where process `k`'s profiles are served (`profilePrefix` for the page's own). */
export const processProfilePrefix = (k: number): string => `${SERVED.profilePrefix}p${k}/`;

export function renderViewerPage(input: ViewerInput, mode: 'served' | 'inline'): string {
  const doc = mode === 'inline' ? renderInlineSpeedscope() : '';
  const dataOf = (view: ViewerInput, speedscope: SpeedscopeSource): ViewerData => ({
    title: view.title,
    source: view.source,
    report: view.report,
    packages: view.packages,
    defer: view.defer,
    profiles: view.speedscope.profiles.map((p) => ({ name: p.name, unit: p.unit })),
    speedscope,
  });
  const sourceFor = (view: ViewerInput, prefix: string, withDoc: boolean): SpeedscopeSource =>
    mode === 'served' ? { mode, index: SERVED.index, profilePrefix: prefix } : { mode, doc: withDoc ? doc : '', file: view.speedscope };
  const data: ViewerData = dataOf(input, sourceFor(input, SERVED.profilePrefix, true));
  if (input.processes) {
    data.processes = input.processes.map((p, k) => ({
      label: p.label,
      role: p.role,
      pid: p.pid,
      threadId: p.threadId,
      heapBytes: p.heapBytes,
      modules: p.modules,
      data: p.input === null ? null : dataOf(p.input, sourceFor(p.input, processProfilePrefix(k), false)),
    }));
  }
  const template = readFileSync(join(VIEWER_DIR, 'index.html'), 'utf8');
  const parts: Record<string, string> = {
    title: escapeHtml(`${input.title} - importcost`),
    style: `<style>\n${readFileSync(join(VIEWER_DIR, 'summary.css'), 'utf8')}</style>`,
    data: `<script type="application/json" id="importcost-data">${scriptSafeJson(data)}</script>`,
    script: `<script>\n${readFileSync(join(VIEWER_DIR, 'summary.js'), 'utf8')}</script>`,
  };
  // A function replacer: the inserted text is taken literally (no `$&` patterns).
  return template.replace(/<!--importcost:(\w+)-->/g, (whole, key: string) => parts[key] ?? whole);
}

/**
 * speedscope's index.html with everything inline: its stylesheet (font as a data: URL) and script, and
 * a listener that turns a posted profile into a paste event. Favicons are left out (they would be fetched).
 */
export function renderInlineSpeedscope(dir = speedscopeReleaseDir()): string {
  const index = readFileSync(join(dir, 'index.html'), 'utf8');
  const cssName = /href="([^"]+\.css)"/.exec(index)?.[1];
  const jsName = /src="([^"]+\.js)"/.exec(index)?.[1];
  if (!cssName || !jsName) throw new Error(`unexpected speedscope index.html in ${dir}: no stylesheet or script`);
  const css = readFileSync(join(dir, cssName), 'utf8')
    .replace(/url\("\.\/([^"]+\.woff2)"\)/g, (_, font: string) => `url("data:font/woff2;base64,${readFileSync(join(dir, font)).toString('base64')}")`)
    .replace(/\/\*# sourceMappingURL=[^*]*\*\//g, '');
  const js = readFileSync(join(dir, jsName), 'utf8').replace(/\/\/# sourceMappingURL=\S+/g, '');
  if (/<\/script|<!--/i.test(js)) throw new Error(`speedscope's script contains markup that cannot be inlined: ${jsName}`);
  const loader = `window.addEventListener('message', function (e) {
  if (e.source !== window.parent || !e.data || e.data.type !== 'importcost-profile') return;
  var dt = new DataTransfer();
  dt.setData('text/plain', e.data.text);
  document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
});`;
  return `<!DOCTYPE html><html><head><meta charset="UTF-8"><title>speedscope</title><style>${css}</style></head>` +
    `<body><script>${loader}</script><script>${js}</script></body></html>`;
}

/** JSON that can sit inside a <script> element: no `</script>`, `<!--` or line separators survive as-is. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
