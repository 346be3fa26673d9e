import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { auditSetup } from './testing-setup.test-helper.js';

const D = 86_400_000;

/**
 * Failures of the housekeeping on a real writer and SQLite file, made real without chmod (the tests
 * run as root, whom chmod would not stop): a path that runs through a regular file fails for root too.
 */
describe('Housekeeper failures on the real file system', () => {
  it('raises BACKUP_FAILED when the backup directory cannot be created, and clears it on the next successful backup', async () => {
    const s = auditSetup();
    s.write(s.ev());
    writeFileSync(join(s.varDir, 'backup'), 'not a directory');
    const hk = s.housekeeper();
    const failed = await hk.backup();
    expect(failed.kind).toBe('failed');
    expect(s.reasons.has('BACKUP_FAILED')).toBe(true);
    rmSync(join(s.varDir, 'backup'));
    const ok = await hk.backup();
    expect(ok.kind).toBe('done');
    expect(s.reasons.has('BACKUP_FAILED')).toBe(false);
  });

  it('raises RETENTION_FAILED when old days cannot be archived (the archive directory is a file), and clears it once archiving works', async () => {
    const start = Date.UTC(2026, 0, 1, 10, 0, 0);
    const s = auditSetup({ synchronous: 'NORMAL' }, start);
    for (let day = 0; day < 100; day++) {
      s.clock.now = start + day * D;
      s.write(s.ev({ day }));
    }
    mkdirSync(join(s.varDir, 'data'), { recursive: true });
    writeFileSync(join(s.varDir, 'data', 'archive'), 'not a directory');
    const hk = s.housekeeper({ retention_days: 35 });
    expect(await hk.retention()).toBeNull();
    expect(s.reasons.get('RETENTION_FAILED')).toMatchObject({ error: expect.stringMatching(/EEXIST|ENOTDIR/) });
    rmSync(join(s.varDir, 'data', 'archive'));
    const r = await hk.retention();
    expect(r?.archived.length).toBeGreaterThan(0);
    expect(s.reasons.has('RETENTION_FAILED')).toBe(false);
  });
});
