/**
 * Open a URL in the default browser, the way a person would expect: $BROWSER when set, `open` on macOS,
 * `start` on Windows, `xdg-open` elsewhere, and only when there is a display to show it on.
 * Never waits for the browser and never fails the command: the URL is printed either way.
 */
import { spawn } from 'node:child_process';

export type OpenResult = 'opened' | 'no-display' | 'failed';

export function canOpenBrowser(env: Record<string, string | undefined>, platform = process.platform): boolean {
  if (env.BROWSER) return env.BROWSER !== 'none';
  if (platform === 'darwin' || platform === 'win32') return true;
  return Boolean(env.DISPLAY || env.WAYLAND_DISPLAY);
}

export async function openBrowser(url: string, env: Record<string, string | undefined>, platform = process.platform): Promise<OpenResult> {
  if (!canOpenBrowser(env, platform)) return 'no-display';
  const [command, args] = env.BROWSER
    ? [env.BROWSER, [url]]
    : platform === 'darwin'
      ? ['open', [url]]
      : platform === 'win32'
        ? ['cmd', ['/c', 'start', '""', url]]
        : ['xdg-open', [url]];
  return new Promise((resolveOpen) => {
    const child = spawn(command, args, { stdio: 'ignore', detached: true, env: env as NodeJS.ProcessEnv });
    child.once('error', () => resolveOpen('failed'));
    child.once('spawn', () => {
      child.unref();
      resolveOpen('opened');
    });
  });
}
