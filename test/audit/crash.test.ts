import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { verifyAuditChain } from '../../packages/audit/src/verify.js';

/**
 * kill -9 in the middle of a bulk-write storm: after reopening, the database passes
 * integrity_check, the hash chain verifies, and every critical write that was acknowledged is there.
 */
describe('audit writer crash', () => {
  it.each([1, 2, 3])('survives SIGKILL mid-storm (run %i) with every acknowledged critical write present', async (run) => {
    const dir = mkdtempSync(join(tmpdir(), `audit-crash-${run}-`));
    const child = spawn(process.execPath, [fileURLToPath(new URL('./storm-child.mjs', import.meta.url)), dir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const acked: string[] = [];
    const target = 50 + run * 37;
    await new Promise<void>((resolve, reject) => {
      let buf = '';
      const t = setTimeout(() => reject(new Error('storm produced too few acks')), 30_000);
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const lines = buf.split('\n');
        buf = lines.pop() ?? '';
        for (const l of lines) if (l.startsWith('ACK ')) acked.push(l.slice(4));
        if (acked.length >= target) {
          clearTimeout(t);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.once('exit', r));
    const file = join(dir, 'data', 'audit.sqlite');
    const db = new Database(file);
    expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
    const has = db.prepare('SELECT 1 FROM events WHERE event_id = ?');
    const missing = acked.filter((id) => has.get(id) === undefined);
    const rows = (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n;
    db.close();
    expect(missing).toEqual([]);
    expect(rows).toBeGreaterThan(acked.length * 200 - 400);
    expect(verifyAuditChain(file)).toMatchObject({ ok: true });
  });
});
