import { describe, expect, it } from 'vitest';
import type { ActiveReason } from '@vigil/contracts';
import { entryPermission, writerCaughtUpAt } from './entry-permission.js';

const base = {
  mode: 'NORMAL' as const,
  failsafe: false,
  reasons: [],
  raised: [],
  startupReleased: true,
  aiGateReady: true,
  symbolBlocks: [],
  auditCommit: { now_ms: 10_000, caught_up_ts_ms: 10_000, max_lag_ms: 500 },
};
const reason = (code: ActiveReason['code']): ActiveReason => ({ code, source: 's', severity: 'CRIT', since_ms: 0, last_ts_ms: 0, count: 1, detail: {} });

describe('entryPermission', () => {
  it('allows only when every condition holds', () => {
    expect(entryPermission(base)).toEqual({ allowed: true, blocked_by: [] });
  });
  it('lists every cause that blocks', () => {
    const v = entryPermission({
      ...base,
      mode: 'PAUSE',
      failsafe: true,
      reasons: [reason('AUDIT_WORKER_EXITED'), reason('REST_THROTTLED')],
      startupReleased: false,
      aiGateReady: false,
      symbolBlocks: ['INTENT_SENT_UNKNOWN'],
    });
    expect(v.allowed).toBe(false);
    expect(v.blocked_by).toEqual(['MODE_UNKNOWN_FAILSAFE', 'AUDIT_WORKER_EXITED', 'STARTUP_RECOVER', 'ENTRY_BLOCKED_NO_AIGATE', 'INTENT_SENT_UNKNOWN']);
  });
  it('a reason this worker raised that the mode state does not carry yet blocks in NORMAL; one that forces nothing does not', () => {
    expect(entryPermission({ ...base, raised: ['AIGATE_PARSE_FAIL'] })).toEqual({ allowed: false, blocked_by: ['AIGATE_PARSE_FAIL'] });
    expect(entryPermission({ ...base, raised: ['EDGE_TOO_LOW'] })).toEqual({ allowed: true, blocked_by: [] });
  });
  it('never allows outside NORMAL, even with no listed cause', () => {
    for (const mode of ['DEGRADE', 'PAUSE', 'EXIT'] as const) {
      const v = entryPermission({ ...base, mode });
      expect(v.allowed).toBe(false);
      expect(v.blocked_by.length).toBeGreaterThan(0);
    }
  });
  it('an AI gate that is not ready blocks: the gate is never skipped', () => {
    expect(entryPermission({ ...base, aiGateReady: false }).blocked_by).toEqual(['ENTRY_BLOCKED_NO_AIGATE']);
  });
  it('blocks with DB_WRITER_COMMIT_STALE when the writer was last caught up more than 2 x audit_writer_max_lag_ms ago, and allows at exactly 2 x', () => {
    expect(entryPermission({ ...base, auditCommit: { now_ms: 10_000, caught_up_ts_ms: 9_000, max_lag_ms: 500 } })).toEqual({ allowed: true, blocked_by: [] });
    expect(entryPermission({ ...base, auditCommit: { now_ms: 10_001, caught_up_ts_ms: 9_000, max_lag_ms: 500 } })).toEqual({
      allowed: false,
      blocked_by: ['DB_WRITER_COMMIT_STALE'],
    });
  });
  it('blocks with DB_WRITER_COMMIT_STALE while the writer has never answered (unknown is not fresh)', () => {
    expect(entryPermission({ ...base, auditCommit: { now_ms: 10_000, caught_up_ts_ms: null, max_lag_ms: 500 } }).blocked_by).toEqual([
      'DB_WRITER_COMMIT_STALE',
    ]);
  });
});

describe('writerCaughtUpAt', () => {
  it('an empty queue is caught up at the sample, however old its last commit', () => {
    expect(writerCaughtUpAt({ queue_depth: 0, lag_ms: 0, last_writer_commit_ts_ms: 1_000 }, 50_000)).toBe(50_000);
    expect(writerCaughtUpAt({ queue_depth: 0, lag_ms: 0, last_writer_commit_ts_ms: null }, 50_000)).toBe(50_000);
  });
  it('a backlog was caught up when its oldest event arrived, or at the last commit if later', () => {
    expect(writerCaughtUpAt({ queue_depth: 5, lag_ms: 3_000, last_writer_commit_ts_ms: 1_000 }, 50_000)).toBe(47_000);
    expect(writerCaughtUpAt({ queue_depth: 5, lag_ms: 3_000, last_writer_commit_ts_ms: 49_000 }, 50_000)).toBe(49_000);
    expect(writerCaughtUpAt({ queue_depth: 5, lag_ms: 3_000, last_writer_commit_ts_ms: null }, 50_000)).toBe(47_000);
  });
});
