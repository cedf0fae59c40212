/**
 * Who this agent is: which process or thread of the profiled command, and what started it. Read once, at
 * the agent's start; the CLI turns it into the report's `process` section and role. Built-ins only.
 */
import fs = require('node:fs');
import path = require('node:path');
import workerThreads = require('node:worker_threads');
import type { RecordingProcess } from '../recording/format.js';

/** Package managers and runners whose own Node process only starts the program (`launcher` role). */
const LAUNCHER_NAMES = new Set(['npm', 'npx', 'npm-cli', 'npx-cli', 'pnpm', 'pnpx', 'yarn', 'yarnpkg', 'corepack', 'tsx', 'nodemon']);
const LAUNCHER_PATH = /\/node_modules\/(npm|pnpm|yarn|corepack|tsx|nodemon)\/(?:bin|dist|lib)\//;

/** The launcher a script path belongs to (`npm`, `pnpm`, `tsx`...), or null. */
function launcherOf(script: string | undefined): string | null {
  if (!script) return null;
  const base = path.basename(script).replace(/\.[cm]?js$/, '');
  if (LAUNCHER_NAMES.has(base)) return base.replace(/-cli$/, '');
  return LAUNCHER_PATH.exec(script)?.[1] ?? null;
}

function identify(cliPid: number): RecordingProcess {
  const threadId = workerThreads.threadId;
  return {
    key: threadId === 0 ? `${process.pid}` : `${process.pid}.${threadId}`,
    pid: process.pid,
    ppid: process.ppid,
    threadId,
    // A worker thread's parent is its process's main thread; a process's is found by the CLI among its
    // ancestors (the nearest that runs an agent: through npm, shells and scripts alike).
    parentKey: threadId === 0 ? null : `${process.pid}`,
    ancestors: threadId === 0 ? ancestorsOf(process.ppid, cliPid) : [],
    argv: threadId === 0 ? process.argv : [],
    execPath: process.execPath,
    execArgv: process.execArgv,
    launcher: threadId === 0 ? launcherOf(process.argv[1]) : null,
    // Node sets a cluster worker up (internal/cluster/child) before it runs the --require modules.
    clusterWorker: threadId === 0 && (process as unknown as { moduleLoadList: string[] }).moduleLoadList.includes('NativeModule internal/cluster/child'),
  };
}

/** `ppid`, its parent, and so on up to the CLI (or init), from /proc; just `ppid` where there is none. */
function ancestorsOf(ppid: number, cliPid: number): number[] {
  const chain = [ppid];
  for (let pid = ppid; pid > 1 && pid !== cliPid && chain.length < 64; ) {
    let text: string;
    try {
      text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      break;
    }
    // Field 4, after the command name in parentheses (which may hold anything).
    pid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
    if (!(pid > 0)) break;
    chain.push(pid);
  }
  return chain;
}

export = { identify };
