/**
 * What the agent's parts share inside one process or thread: its settings from the CLI, its clock, and
 * whether the run is over. Types and one small factory only; built-ins only.
 */
import fs = require('node:fs');
import perfHooks = require('node:perf_hooks');
import type { AgentConfig, AgentContext } from './types.cjs';



function createContext(config: AgentConfig): AgentContext {
  const now = (): number => perfHooks.performance.now();
  const t0 = now();
  return {
    config,
    t0,
    now,
    epoch: () => perfHooks.performance.timeOrigin + now(),
    done: false,
    lastActivityMs: t0,
    finish: () => {},
  };
}

/** The CLI's settings (IMPORTCOST_AGENT), where its work folder still exists (a process that outlives the run is left alone). */
function readConfig(text: string): AgentConfig | null {
  try {
    const parsed = JSON.parse(text) as AgentConfig;
    return typeof parsed.dir === 'string' && fs.existsSync(parsed.dir) ? parsed : null;
  } catch {
    return null;
  }
}

export = { createContext, readConfig };
