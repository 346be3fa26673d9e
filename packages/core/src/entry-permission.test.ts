import { describe, expect, it } from 'vitest';
import type { ActiveReason } from '@vigil/contracts';
import { entryPermission } from './entry-permission.js';

const base = { mode: 'NORMAL' as const, failsafe: false, reasons: [], startupReleased: true, aiGateReady: true, symbolBlocks: [] };
const reason = (code: ActiveReason['code']): ActiveReason => ({ code, source: 's', severity: 'CRIT', since_ms: 0, last_ts_ms: 0, count: 1, detail: {} });

describe('entryPermission', () => {
  it('allows only when every condition holds', () => {
    expect(entryPermission(base)).toEqual({ allowed: true, blocked_by: [] });
  });
  it('lists every cause that blocks', () => {
    const v = entryPermission({ ...base, mode: 'PAUSE', failsafe: true, reasons: [reason('AUDIT_WORKER_EXITED'), reason('REST_THROTTLED')], startupReleased: false, aiGateReady: false, symbolBlocks: ['INTENT_SENT_UNKNOWN'] });
    expect(v.allowed).toBe(false);
    expect(v.blocked_by).toEqual(['MODE_UNKNOWN_FAILSAFE', 'AUDIT_WORKER_EXITED', 'STARTUP_RECOVER', 'ENTRY_BLOCKED_NO_AIGATE', 'INTENT_SENT_UNKNOWN']);
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
});
