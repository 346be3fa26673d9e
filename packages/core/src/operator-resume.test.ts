import { describe, expect, it } from 'vitest';
import { REASON_CODES, type ActiveReason, type ReasonCode } from '@vigil/contracts';
import { ModeAuthority } from './mode-authority.js';
import { planResume, RESUMABLE_CODES } from './operator-resume.js';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 5, 12, 0, 0);
const reason = (code: ReasonCode, source = 'engine', lastTs = NOW - 1000): ActiveReason => ({
  code,
  source,
  severity: REASON_CODES[code].severity,
  since_ms: lastTs,
  last_ts_ms: lastTs,
  count: 1,
  detail: {},
});
const ctx = { nowMs: NOW, killFilePresent: false };

describe('planResume', () => {
  it('refuses while an automatic PAUSE/DEGRADE reason is active and names each one', () => {
    const p = planResume(
      [reason('OPERATOR_PAUSE', 'operator'), reason('CLOCK_DRIFT', 'gateway'), reason('WS_STALE', 'gateway'), reason('STARTUP_RECOVER')],
      ctx,
    );
    expect(p.ok).toBe(false);
    if (p.ok) return;
    expect(p.blocking.map((r) => r.code)).toEqual(['CLOCK_DRIFT', 'WS_STALE']);
  });

  it('clears CLOSE_SAFELY and the persistent audit-writer reasons once their automatic causes are gone, and refuses while the writer is still full', () => {
    const p = planResume([reason('CLOSE_SAFELY'), reason('DB_BUSY_PERSISTENT', 'audit'), reason('DB_WRITER_QUEUE_FULL_PERSISTENT', 'audit')], ctx);
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.clear.map((r) => r.code)).toEqual(['CLOSE_SAFELY', 'DB_BUSY_PERSISTENT', 'DB_WRITER_QUEUE_FULL_PERSISTENT']);
    const still = planResume([reason('DB_WRITER_QUEUE_FULL_PERSISTENT', 'audit'), reason('DB_WRITER_QUEUE_FULL', 'audit')], ctx);
    expect(still.ok).toBe(false);
  });

  it('does not wait on boot reasons or automatic reasons that force nothing', () => {
    const p = planResume(
      [
        reason('OPERATOR_PAUSE', 'operator'),
        reason('STARTUP_RECOVER'),
        reason('RESUME_MANAGE_ONLY'),
        reason('RECOVERY_STABILIZING', 'mode-authority'),
        reason('API_KEY_IP_UNRESTRICTED', 'gateway'),
      ],
      ctx,
    );
    expect(p.ok).toBe(true);
    if (!p.ok) return;
    expect(p.clear.map((r) => r.code)).toEqual(['OPERATOR_PAUSE']);
    expect(p.boot.map((r) => r.code)).toEqual(['STARTUP_RECOVER', 'RESUME_MANAGE_ONLY', 'RECOVERY_STABILIZING']);
    expect(p.kept).toEqual([]);
  });

  it('clears the intervention reasons (swap failed, drift, every manual AI gate error) with the operator pause', () => {
    const aigate = (Object.keys(REASON_CODES) as ReasonCode[]).filter((c) => c.startsWith('AIGATE_') && REASON_CODES[c].clear === 'manual');
    expect(aigate.length).toBeGreaterThanOrEqual(7);
    const rs = [reason('OPERATOR_PAUSE', 'operator'), reason('PROTECTION_SWAP_FAILED'), reason('DRIFT_LIMIT_EXCEEDED'), ...aigate.map((c) => reason(c))];
    const p = planResume(rs, ctx);
    expect(p.ok && p.clear.map((r) => r.code)).toEqual(rs.map((r) => r.code));
  });

  it('clears the daily loss and drawdown limits only when they were last raised on an earlier UTC day', () => {
    const today = planResume([reason('RISK_DAILY_LOSS_LIMIT_HIT'), reason('RISK_DRAWDOWN_LIMIT_HIT')], ctx);
    expect(today.ok && today.clear).toEqual([]);
    expect(today.ok && today.kept.map((k) => k.reason.code)).toEqual(['RISK_DAILY_LOSS_LIMIT_HIT', 'RISK_DRAWDOWN_LIMIT_HIT']);
    const yesterday = planResume([reason('RISK_DAILY_LOSS_LIMIT_HIT', 'engine', NOW - DAY)], ctx);
    expect(yesterday.ok && yesterday.clear.map((r) => r.code)).toEqual(['RISK_DAILY_LOSS_LIMIT_HIT']);
  });

  it('clears the kill switch reason only once its file is gone, and keeps restart-only reasons', () => {
    const rs = [
      reason('KILL_SWITCH_ACTIVE'),
      reason('API_KEY_WITHDRAW_ENABLED', 'gateway'),
      reason('AUDIT_CHAIN_BROKEN', 'supervisor'),
      reason('FAULT_HOOKS_ENABLED', 'supervisor'),
    ];
    const present = planResume(rs, { ...ctx, killFilePresent: true });
    expect(present.ok && present.kept.map((k) => k.reason.code)).toEqual(['KILL_SWITCH_ACTIVE', 'API_KEY_WITHDRAW_ENABLED', 'AUDIT_CHAIN_BROKEN']);
    const gone = planResume(rs, ctx);
    expect(gone.ok && gone.clear.map((r) => r.code)).toEqual(['KILL_SWITCH_ACTIVE']);
  });

  it('lists only manual codes as resumable, and the mode authority accepts an operator clear of each', () => {
    for (const c of RESUMABLE_CODES) expect(REASON_CODES[c].clear).toBe('manual');
    const a = new ModeAuthority({ stabilityWindowMs: 0, now: () => NOW, boot: { code: 'OPERATOR_PAUSE', source: 'operator' } });
    expect(a.clear('OPERATOR_PAUSE', 'operator')).toEqual({ ok: false, why: 'MANUAL_CLEAR_REQUIRED' });
    expect(a.clear('OPERATOR_PAUSE', 'operator', 'operator')).toMatchObject({ ok: true, cleared: true });
  });
});
