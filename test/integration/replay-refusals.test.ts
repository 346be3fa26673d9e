import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { replayCommand } from '../../apps/supervisor/src/replay-command.js';

// `supervisor replay` on directories that hold no replayable run: a non-zero exit, one line with the
// reason code, and the directory left exactly as it was (replay only reads).
function io() {
  const lines: string[] = [];
  return { lines, out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
}

describe('supervisor replay: refusals', async () => {
  it('no audit database: REPLAY_NO_AUDIT, exit 1, nothing created', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-none-'));
    const o = io();
    expect(await replayCommand({ varDir: dir }, o)).toBe(1);
    expect(o.lines).toEqual([`replay: REPLAY_NO_AUDIT: no audit database at ${join(dir, 'data', 'audit.sqlite')}`]);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('a file that is not a database, and an empty one: REPLAY_UNREADABLE, exit 1, the file unchanged and no WAL beside it', async () => {
    for (const bytes of ['not a database at all\n', '']) {
      const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-bad-'));
      mkdirSync(join(dir, 'data'));
      writeFileSync(join(dir, 'data', 'audit.sqlite'), bytes);
      const o = io();
      expect(await replayCommand({ varDir: dir }, o)).toBe(1);
      expect(o.lines).toHaveLength(1);
      expect(o.lines[0]).toMatch(/^replay: REPLAY_UNREADABLE: cannot read /);
      expect(readFileSync(join(dir, 'data', 'audit.sqlite'), 'utf8')).toBe(bytes);
      expect(readdirSync(join(dir, 'data'))).toEqual(['audit.sqlite']);
    }
  });
});
