/**
 * The processes a command started, found and stopped from outside them: a target that blocks its event
 * loop never runs its own timers or signal handlers, so only this side can keep the promise that
 * importcost ends and takes its targets with it. Linux's /proc tells who descends from whom; elsewhere
 * the process group and the agents' own pids are what is known.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** A process seen in the tree: its pid and its start time (clock ticks since boot), so a reused pid is told apart. */
interface Seen {
  pid: number;
  start: string;
}

function stat(pid: number): { ppid: number; start: string } | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces or parentheses itself.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    return { ppid: Number(fields[1]), start: fields[19] ?? '' };
  } catch {
    return null;
  }
}

/** The pids below `root` (children, their children...), from /proc; empty where there is no /proc. */
export function descendantsOf(root: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const entry of entries) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid <= 0) continue;
    const info = stat(pid);
    if (!info) continue;
    const list = children.get(info.ppid);
    if (list) list.push(pid);
    else children.set(info.ppid, [pid]);
  }
  const out: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop()!) ?? []) {
      out.push(child);
      pending.push(child);
    }
  }
  return out;
}

/** Whether `pid` is running: it exists and (where /proc tells) is not a zombie waiting for its parent. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return text[text.lastIndexOf(')') + 2] !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Every process the command started, as far as it can be seen: the root, what descends from it now, and
 * what was seen descending from it before (a child whose parent died is re-parented away from the root,
 * but is still the command's). `note` runs as the run goes; `signal` reaches them all.
 */
export class ProcessTree {
  private readonly seen = new Map<number, Seen>();

  constructor(
    readonly rootPid: number,
    /** The process group the root leads (it was spawned detached), or null. */
    private readonly groupId: number | null,
  ) {
    this.add(rootPid);
  }

  /** Note a pid (an agent's, or one found below the root). */
  add(pid: number): void {
    if (this.seen.has(pid)) return;
    const info = stat(pid);
    this.seen.set(pid, { pid, start: info?.start ?? '' });
  }

  /** Look below the root again. */
  note(): void {
    for (const pid of descendantsOf(this.rootPid)) this.add(pid);
  }

  /** The pids still running that are the same processes that were seen (not a reused pid). */
  alive(): number[] {
    const out: number[] = [];
    for (const { pid, start } of this.seen.values()) {
      if (!isAlive(pid)) continue;
      const now = stat(pid);
      if (now && start !== '' && now.start !== start) continue;
      out.push(pid);
    }
    return out;
  }

  /** Send `signal` to the group and to every process of the tree still running. */
  signal(signal: NodeJS.Signals): void {
    this.note();
    if (this.groupId !== null) {
      try {
        process.kill(-this.groupId, signal);
      } catch {
        // The group is gone.
      }
    }
    for (const pid of this.alive()) {
      try {
        process.kill(pid, signal);
      } catch {
        // It ended meanwhile.
      }
    }
  }
}
