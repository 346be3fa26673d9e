import { describe, expect, it } from 'vitest';
import { nativeMemory, parseSmaps } from '../../scripts/lib/native-memory.ts';

const map = (range: string, perms: string, path: string, rssKb: number): string =>
  `${range} ${perms} 00000000 00:00 0${path ? `                          ${path}` : ''}\nSize:  1 kB\nRss:   ${rssKb} kB\nAnonymous: 0 kB\n`;

describe('parseSmaps', () => {
  it('sums Rss into brk heap, 64 MiB-aligned thread arenas, other anonymous and file-backed mappings', () => {
    const text = [
      map('5600000000-5600100000', 'r-xp', '/usr/bin/node', 800),
      map('5600200000-5600300000', 'rw-p', '[heap]', 1000),
      // an arena: 8 MiB in use, the rest of its 64 MiB PROT_NONE right after it
      map('7f0004000000-7f0004800000', 'rw-p', '', 5000),
      map('7f0004800000-7f0008000000', '---p', '', 0),
      // a whole 64 MiB arena in use
      map('7f0008000000-7f000c000000', 'rw-p', '', 3000),
      // anonymous but not at a 64 MiB boundary: V8 pages or a large malloc
      map('7f0010040000-7f0010080000', 'rw-p', '', 256),
      // 64 MiB-aligned but followed by a gap, not a PROT_NONE rest: not an arena
      map('7f0014000000-7f0014100000', 'rw-p', '', 700),
      map('7f00ff000000-7f00ff001000', 'rw-p', '[stack]', 12),
    ].join('');
    expect(parseSmaps(text)).toEqual({
      brk_bytes: 1000 * 1024,
      arenas_bytes: 8000 * 1024,
      arenas: 2,
      anon_other_bytes: (256 + 700 + 12) * 1024,
      file_bytes: 800 * 1024,
      mappings: 8,
    });
  });

  it('reads this process: its mappings add up to a resident size near process.memoryUsage().rss', () => {
    const m = nativeMemory();
    if (m === null) throw new Error('/proc/self/smaps is not readable on this Linux machine');
    const sum = m.brk_bytes + m.arenas_bytes + m.anon_other_bytes + m.file_bytes;
    const rss = process.memoryUsage().rss;
    expect(m.mappings).toBeGreaterThan(10);
    expect(Math.abs(sum - rss) / rss).toBeLessThan(0.1);
  });
});
