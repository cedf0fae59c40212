/**
 * The processes and threads of one profiled command: what each is to the command (its role), a name a
 * person can tell apart (its label, which names its report file), and which one matters most (the main
 * report). Pure.
 */
import type { RecordingProcess } from '../recording/format.js';
import type { ProcessRole, ReportProcessSummary } from '../report/format.js';

export interface ProcessFacts {
  process: RecordingProcess;
  /** Epoch ms when its agent started (orders labels). */
  startedAt: number;
  listen: { atMs: number; viaCluster: boolean } | null;
  /** What its first-load tree retained (attributed bytes): the tie-breaker for the main report. */
  retainedBytes: number;
}

export interface ProcessPlace {
  role: ProcessRole;
  label: string;
}

/**
 * Each process's role. A worker thread, a launcher (a package manager's or runner's own process) and a
 * cluster worker say so themselves; any other process is a child where its nearest profiled ancestor is
 * the program (not a launcher), and main otherwise.
 */
export function assignRoles(processes: readonly RecordingProcess[]): Map<string, ProcessRole> {
  const byKey = new Map(processes.map((p) => [p.key, p]));
  const roles = new Map<string, ProcessRole>();
  const roleOf = (p: RecordingProcess, depth = 0): ProcessRole => {
    const known = roles.get(p.key);
    if (known) return known;
    let role: ProcessRole;
    if (p.threadId !== 0) role = 'worker-thread';
    else if (p.launcher !== null) role = 'launcher';
    else if (p.clusterWorker) role = 'cluster-worker';
    else {
      const parent = p.parentKey === null ? undefined : byKey.get(p.parentKey);
      role = parent !== undefined && depth < 1000 && roleOf(parent, depth + 1) !== 'launcher' ? 'child' : 'main';
    }
    roles.set(p.key, role);
    return role;
  };
  for (const p of processes) roleOf(p);
  return roles;
}

/**
 * Role and label of each process, in start order: `main` (a cluster primary: `cluster-primary`), then
 * `<role>-<n>` numbered by start within the role (`cluster-worker-1`, `worker-thread-2`, `child-1`), and
 * `launcher-<npm|npx|pnpm|...>`. A label is unique: a second one gets `-2`.
 */
export function placeProcesses(facts: readonly ProcessFacts[]): Map<string, ProcessPlace> {
  const ordered = [...facts].sort((a, b) => a.startedAt - b.startedAt);
  const roles = assignRoles(ordered.map((f) => f.process));
  const parentsOfClusterWorkers = new Set(ordered.filter((f) => roles.get(f.process.key) === 'cluster-worker').map((f) => f.process.parentKey));
  const counts = new Map<string, number>();
  const used = new Set<string>();
  const places = new Map<string, ProcessPlace>();
  for (const f of ordered) {
    const role = roles.get(f.process.key)!;
    let base: string;
    if (role === 'launcher') base = `launcher-${f.process.launcher ?? 'node'}`;
    else if (role === 'main') base = parentsOfClusterWorkers.has(f.process.key) ? 'cluster-primary' : 'main';
    else {
      const n = (counts.get(role) ?? 0) + 1;
      counts.set(role, n);
      base = `${role}-${n}`;
    }
    let label = base;
    for (let i = 2; used.has(label); i++) label = `${base}-${i}`;
    used.add(label);
    places.set(f.process.key, { role, label });
  }
  return places;
}

/**
 * The process that matters most: the first to listen (not a cluster primary listening for its workers),
 * else the one whose first-load tree retained the most; launchers only when there is nothing else.
 */
export function pickMain(facts: readonly ProcessFacts[], places: ReadonlyMap<string, ProcessPlace>): string | null {
  const program = facts.filter((f) => places.get(f.process.key)?.role !== 'launcher');
  const pool = program.length > 0 ? program : [...facts];
  const listened = pool
    .filter((f) => f.listen !== null && !f.listen.viaCluster)
    .sort((a, b) => a.startedAt + a.listen!.atMs - (b.startedAt + b.listen!.atMs));
  if (listened.length > 0) return listened[0]!.process.key;
  const byRetained = [...pool].sort((a, b) => b.retainedBytes - a.retainedBytes || a.startedAt - b.startedAt);
  return byRetained[0]?.process.key ?? null;
}

/** Processes or threads of one kind started alike: the same parent, role and entry (N pre-fork workers). */
export interface AlikeGroup {
  role: ProcessRole;
  members: ReportProcessSummary[];
}

/**
 * Groups of two or more alike workers (cluster workers, children, worker threads of the same parent
 * running the same entry): each pays for every import it loads, so their heaps add up.
 */
export function alikeGroups(processes: readonly ReportProcessSummary[]): AlikeGroup[] {
  const groups = new Map<string, AlikeGroup>();
  for (const p of processes) {
    if (p.role !== 'cluster-worker' && p.role !== 'child' && p.role !== 'worker-thread') continue;
    const key = JSON.stringify([p.role, p.parent, p.role === 'worker-thread' ? p.entry : p.argv.slice(1)]);
    const group = groups.get(key);
    if (group) group.members.push(p);
    else groups.set(key, { role: p.role, members: [p] });
  }
  return [...groups.values()].filter((g) => g.members.length > 1);
}
