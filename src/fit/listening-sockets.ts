/**
 * Where a process tree listens, seen from outside it (Linux /proc): the sockets each process holds
 * (/proc/<pid>/fd -> `socket:[inode]`) matched against the kernel's tables of TCP sockets in the LISTEN
 * state (/proc/<pid>/net/tcp, tcp6) and of listening Unix sockets (/proc/<pid>/net/unix). fit's search
 * steps use it instead of an agent, so that nothing of importcost's takes heap in the program: a socket
 * is listening from the listen() call on, the point the agent's `net.server.listen` event marks.
 * See proc(5) for the tables' columns.
 */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import type { ListenAddress } from '../recording/format.js';

/** Whether this machine shows processes' sockets (/proc with the TCP table). */
export function canSeeSockets(): boolean {
  try {
    readFileSync('/proc/self/net/tcp', 'utf8');
    readdirSync('/proc/self/fd');
    return true;
  } catch {
    return false;
  }
}

/**
 * The first listening socket of the first of `pids` that has one (pids in the order given; within a
 * process, the lowest file descriptor: the socket it opened first), or null.
 */
export function findListening(pids: readonly number[]): ListenAddress | null {
  for (const pid of pids) {
    const sockets = socketsOf(pid);
    if (sockets.length === 0) continue;
    const listening = listeningTables(pid);
    for (const inode of sockets) {
      const address = listening.get(inode);
      if (address) return address;
    }
  }
  return null;
}

/** Inodes of the sockets a process holds, by file descriptor, lowest first. */
function socketsOf(pid: number): string[] {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return [];
  }
  const inodes: string[] = [];
  for (const fd of fds.map(Number).sort((a, b) => a - b)) {
    try {
      const link = readlinkSync(`/proc/${pid}/fd/${fd}`);
      if (link.startsWith('socket:[')) inodes.push(link.slice(8, -1));
    } catch {
      // Closed meanwhile.
    }
  }
  return inodes;
}

/** Listening sockets in the process's network namespace, by inode. */
function listeningTables(pid: number): Map<string, ListenAddress> {
  const found = new Map<string, ListenAddress>();
  for (const table of ['tcp', 'tcp6'] as const) {
    for (const row of rows(`/proc/${pid}/net/${table}`)) {
      // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
      const [, local = '', , state, , , , , , inode = ''] = row;
      if (state !== '0A') continue; // TCP_LISTEN
      const [hexHost = '', hexPort = ''] = local.split(':');
      found.set(inode, { host: table === 'tcp' ? ipv4(hexHost) : ipv6(hexHost), port: parseInt(hexPort, 16), path: null });
    }
  }
  for (const row of rows(`/proc/${pid}/net/unix`)) {
    // Num RefCount Protocol Flags Type St Inode Path; a listening socket has __SO_ACCEPTCON (0x10000) in Flags.
    const [, , , flags = '0', , , inode = '', path] = row;
    if ((parseInt(flags, 16) & 0x10000) === 0 || path === undefined) continue;
    found.set(inode, { host: null, port: null, path: path.startsWith('@') ? `\0${path.slice(1)}` : path });
  }
  return found;
}

function rows(file: string): string[][] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .slice(1)
    .map((line) => line.trim().split(/\s+/))
    .filter((fields) => fields.length > 1);
}

/** The table's IPv4 address: 8 hex digits of the address in host (little-endian) order. */
function ipv4(hex: string): string {
  const n = parseInt(hex, 16);
  return [n & 255, (n >>> 8) & 255, (n >>> 16) & 255, n >>> 24].join('.');
}

/** The table's IPv6 address: four 32-bit words, each in host (little-endian) order; an IPv4-mapped one as IPv4. */
function ipv6(hex: string): string {
  const bytes: number[] = [];
  for (let word = 0; word < 4; word++) {
    const w = hex.slice(word * 8, word * 8 + 8);
    for (let b = 3; b >= 0; b--) bytes.push(parseInt(w.slice(b * 2, b * 2 + 2), 16));
  }
  if (bytes.slice(0, 10).every((b) => b === 0) && bytes[10] === 255 && bytes[11] === 255) return bytes.slice(12).join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((bytes[i]! << 8) | bytes[i + 1]!).toString(16));
  const text = groups.join(':');
  if (text === '0:0:0:0:0:0:0:0') return '::';
  if (text === '0:0:0:0:0:0:0:1') return '::1';
  return text;
}
