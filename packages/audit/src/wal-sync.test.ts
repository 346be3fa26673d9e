import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { WalSync } from './checkpointer.js';
import { auditSetup } from './testing-setup.test-helper.js';

function writer(synchronous: 'FULL' | 'NORMAL') {
  const { writer: w, ev, dbFile } = auditSetup({ synchronous });
  return { w, ev: () => ev(), wal: `${dbFile}-wal` };
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('WAL sync off the commit path (issue 19)', () => {
  it('under synchronous FULL, a bulk-only commit leaves the WAL unsynced and a critical commit syncs it again', async () => {
    const { w, ev } = writer('FULL');
    w.enqueue([ev(), ev()]);
    w.drainOnce();
    expect(w.walUnsynced).toBe(true);
    const acked = new Promise((resolve, reject) => w.enqueue([ev()], { resolve, reject }));
    w.drainOnce();
    await acked;
    expect(w.walUnsynced).toBe(false);
    w.close();
  });

  it('under synchronous NORMAL, no commit asks for a WAL sync (NORMAL is the durability chosen)', () => {
    const { w, ev } = writer('NORMAL');
    w.enqueue([ev()]);
    w.drainOnce();
    expect(w.walUnsynced).toBe(false);
    w.close();
  });

  it('serves the requests of one turn with one fsync, on one descriptor kept open across syncs', async () => {
    const calls: string[] = [];
    const s = new WalSync('/x-wal', () => calls.push('error'), {
      open: () => (calls.push('open'), 7),
      fsync: (fd) => void calls.push(`fsync ${fd}`),
      close: (fd) => void calls.push(`close ${fd}`),
    });
    s.request();
    s.request();
    s.request();
    expect(calls).toEqual([]);
    await turn();
    expect(calls).toEqual(['open', 'fsync 7']);
    s.request();
    await turn();
    s.close();
    expect(calls).toEqual(['open', 'fsync 7', 'fsync 7', 'close 7']);
    expect(s.syncs).toBe(2);
  });

  it('a WAL not created yet is no error; any other failure is reported', () => {
    const errors: string[] = [];
    const missing = new WalSync(join(tmpdir(), `no-such-${process.pid}-wal`), (m) => errors.push(m));
    missing.sync();
    expect(errors).toEqual([]);
    const failing = new WalSync('/x-wal', (m) => errors.push(m), {
      open: () => 3,
      fsync: () => {
        throw Object.assign(new Error('EIO: i/o error'), { code: 'EIO' });
      },
      close: () => undefined,
    });
    failing.sync();
    expect(errors).toEqual(['WAL sync failed: EIO: i/o error']);
    expect(failing.syncs).toBe(0);
  });

  it('syncs a real WAL file the writer is using', () => {
    const { w, ev, wal } = writer('FULL');
    w.enqueue([ev()]);
    w.drainOnce();
    expect(existsSync(wal) && statSync(wal).size > 0).toBe(true);
    const errors: string[] = [];
    const s = new WalSync(wal, (m) => errors.push(m));
    s.sync();
    s.close();
    expect(errors).toEqual([]);
    expect(s.syncs).toBe(1);
    w.close();
  });
});
