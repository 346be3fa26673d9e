// Where a process's resident memory lives, from /proc/self/smaps (Linux only): the soak's RSS grew
// while every V8 heap stayed flat, so the rest has to be told apart by mapping.
import { readFileSync } from 'node:fs';

export interface NativeMemory {
  /** glibc's main arena: the brk heap ("[heap]"). */
  readonly brk_bytes: number;
  /** glibc's thread arenas: anonymous reservations of 64 MiB at 64 MiB boundaries. */
  readonly arenas_bytes: number;
  readonly arenas: number;
  /** Every other anonymous mapping: V8 pages, large mallocs (mmap'ed), thread stacks. */
  readonly anon_other_bytes: number;
  /** File-backed: code, shared libraries, anything mmap'ed from disk. */
  readonly file_bytes: number;
  readonly mappings: number;
}

const ARENA = 64 * 2 ** 20;

interface Mapping {
  readonly start: bigint;
  readonly end: bigint;
  readonly perms: string;
  readonly path: string;
  rss: number;
}

/** Sums each mapping's Rss of smaps text by what holds it. */
export function parseSmaps(text: string): NativeMemory {
  const maps: Mapping[] = [];
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      maps.push({ start: BigInt(`0x${head[1]}`), end: BigInt(`0x${head[2]}`), perms: head[3] ?? '', path: head[4] ?? '', rss: 0 });
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    const last = maps.at(-1);
    if (rss && last) last.rss = Number(rss[1]) * 1024;
  }
  let brk = 0;
  let arenas = 0;
  let arenaCount = 0;
  let anon = 0;
  let file = 0;
  for (let i = 0; i < maps.length; i += 1) {
    const m = maps[i] as Mapping;
    if (m.path === '[heap]') brk += m.rss;
    else if (m.path.startsWith('/')) file += m.rss;
    else if (m.path === '' && isArena(m, maps[i + 1])) {
      arenas += m.rss;
      arenaCount += 1;
    } else anon += m.rss;
  }
  return { brk_bytes: brk, arenas_bytes: arenas, arenas: arenaCount, anon_other_bytes: anon, file_bytes: file, mappings: maps.length };
}

// A thread arena is mmap'ed as 64 MiB aligned to 64 MiB; the part in use is read-write and the rest
// PROT_NONE right after it.
function isArena(m: Mapping, next: Mapping | undefined): boolean {
  if (m.start % BigInt(ARENA) !== 0n || !m.perms.startsWith('rw')) return false;
  const size = m.end - m.start;
  if (size === BigInt(ARENA)) return true;
  return next !== undefined && next.path === '' && next.start === m.end && next.perms.startsWith('---') && next.end - m.start === BigInt(ARENA);
}

/** This process's memory by mapping kind; null where /proc is not there. */
export function nativeMemory(): NativeMemory | null {
  try {
    return parseSmaps(readFileSync('/proc/self/smaps', 'utf8'));
  } catch {
    return null;
  }
}
