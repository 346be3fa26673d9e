import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('log files (spec: size-based rotation, configurable retention)', () => {
  it('rotates var/log/<thread>.log at logging.file_max_bytes and keeps at most logging.file_max_files files per thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-log-'));
    const log = createLogger({ thread: 'engine', logDir: dir, console: false, config: { level: 'info', file_max_bytes: 2048, file_max_files: 3 } });
    // Written in bursts, each one on disk before the next: the file transport rotates between its
    // asynchronous writes. A fixed 20 ms pause was not enough under load (two bursts in one file).
    const flushed = (round: number): boolean =>
      readdirSync(dir).some((n) => {
        try {
          return readFileSync(join(dir, n), 'utf8').includes(`line ${round}.9 `);
        } catch {
          return false; // rotated away between the listing and the read
        }
      });
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 10; i++) log.info(`line ${round}.${i} ${'x'.repeat(80)}`);
      for (let waited = 0; !flushed(round) && waited < 5000; waited += 5) await new Promise((r) => setTimeout(r, 5));
      expect(flushed(round), `burst ${round} on disk`).toBe(true);
    }
    await new Promise((r) => setTimeout(r, 500));
    log.close();
    const files = readdirSync(dir).filter((n) => n.startsWith('engine'));
    expect(files.length).toBeGreaterThan(1);
    expect(files.length).toBeLessThanOrEqual(3);
    // The rotation is by size: winston checks the size before a write, so a file ends at most one
    // burst (here 10 lines of ~170 bytes) beyond the bound.
    for (const f of files) expect(statSync(join(dir, f)).size).toBeLessThanOrEqual(2048 + 10 * 200);
  });
});
