/**
 * Whether importcost could search container memory here: run the program in a cgroup v2 of its own and
 * bisect that cgroup's memory.max, as a container runtime limits it. That needs a cgroup v2 hierarchy,
 * the memory controller in it, and the right to make a child cgroup and move a process in. This reads
 * /proc and the cgroup files only; it changes nothing.
 */
import { accessSync, constants, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Why the container search does not run here, in one line. */
export function probeContainerMemory(): { searched: false; why: string } {
  const mounts = read('/proc/self/mountinfo');
  if (mounts === null) return { searched: false, why: 'no /proc/self/mountinfo here (cgroups are Linux only)' };
  // mountinfo: "<id> <parent> <dev> <root> <mount point> <options> ... - <fstype> <source> <super options>"
  const entries = mounts.split('\n').flatMap((line) => {
    const [before, after] = line.split(' - ');
    if (before === undefined || after === undefined) return [];
    const [fstype = '', , superOptions = ''] = after.split(' ');
    return [{ mountPoint: before.split(' ')[4] ?? '', fstype, superOptions }];
  });
  const v2 = entries.find((e) => e.fstype === 'cgroup2');
  const v1Memory = entries.find((e) => e.fstype === 'cgroup' && e.superOptions.split(',').includes('memory'));
  const onV1 = v1Memory ? `; the memory controller is on a cgroup v1 hierarchy (${v1Memory.mountPoint}), which importcost does not use` : '';
  if (!v2) return { searched: false, why: `no cgroup v2 hierarchy is mounted${onV1}` };
  // /proc/self/cgroup: "0::<path>" is this process's cgroup v2.
  const own = (read('/proc/self/cgroup') ?? '').split('\n').find((line) => line.startsWith('0::'))?.slice(3) ?? '/';
  const dir = join(v2.mountPoint, own);
  const controllers = (read(join(dir, 'cgroup.controllers')) ?? '').trim().split(/\s+/).filter(Boolean);
  if (!controllers.includes('memory')) {
    return { searched: false, why: `cgroup v2 (${dir}) has no memory controller (it has: ${controllers.join(', ') || 'none'})${onV1}` };
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch {
    return { searched: false, why: `cgroup v2 (${dir}) has the memory controller, but importcost may not make a cgroup in it (not writable)` };
  }
  return { searched: false, why: `cgroup v2 (${dir}) has the memory controller, but the container search is not built yet: only the heap was searched` };
}

function read(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return null;
  }
}
