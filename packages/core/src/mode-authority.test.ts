import { describe, expect, it } from 'vitest';
import { ModeAuthority } from './mode-authority.js';

function authority(windowMs = 1000) {
  let t = 1_000;
  const a = new ModeAuthority({ stabilityWindowMs: windowMs, now: () => t, boot: { code: 'STARTUP_RECOVER', source: 'engine' } });
  return { a, advance: (ms: number) => (t += ms) };
}

describe('ModeAuthority', () => {
  it('boots in PAUSE and reaches NORMAL only through the stability window', () => {
    const { a, advance } = authority(1000);
    expect(a.current).toBe('PAUSE');
    expect(a.reasons().map((r) => r.code)).toEqual(['STARTUP_RECOVER']);
    a.clear('STARTUP_RECOVER', 'engine');
    expect(a.current).toBe('DEGRADE');
    expect(a.reasons().map((r) => r.code)).toContain('RECOVERY_STABILIZING');
    advance(999);
    expect(a.tick()).toBeNull();
    expect(a.current).toBe('DEGRADE');
    advance(1);
    expect(a.tick()?.to).toBe('NORMAL');
    expect(a.reasons()).toHaveLength(0);
  });

  it('PAUSE outranks DEGRADE, whatever the order of raising and clearing', () => {
    const { a, advance } = authority(0);
    a.raise('STARTUP_RECOVER', 'engine');
    a.clear('STARTUP_RECOVER', 'engine');
    advance(1);
    a.tick();
    expect(a.current).toBe('NORMAL');
    a.raise('WS_UNSTABLE', 'gateway');
    expect(a.current).toBe('DEGRADE');
    a.raise('AUDIT_WORKER_EXITED', 'supervisor');
    expect(a.current).toBe('PAUSE');
    a.clear('WS_UNSTABLE', 'gateway');
    expect(a.current).toBe('PAUSE');
    a.raise('DB_WRITER_QUEUE_HIGH', 'audit');
    expect(a.current).toBe('PAUSE');
    a.clear('AUDIT_WORKER_EXITED', 'supervisor');
    expect(a.current).toBe('DEGRADE');
  });

  it('a new forcing reason restarts the stability window', () => {
    const { a, advance } = authority(1000);
    a.clear('STARTUP_RECOVER', 'engine');
    advance(1000);
    a.tick();
    a.raise('WS_STALE', 'gateway');
    a.clear('WS_STALE', 'gateway');
    advance(800);
    a.raise('WS_STALE', 'gateway');
    a.clear('WS_STALE', 'gateway');
    advance(800);
    expect(a.tick()).toBeNull();
    expect(a.current).toBe('DEGRADE');
    advance(200);
    expect(a.tick()?.to).toBe('NORMAL');
  });

  it('reasons that force nothing do not change the mode but are listed', () => {
    const { a } = authority(0);
    const r = a.raise('REST_THROTTLED', 'gateway', { weight_pct: 91 });
    expect(r.fresh).toBe(true);
    expect(a.current).toBe('PAUSE');
    expect(a.raise('REST_THROTTLED', 'gateway').reason.count).toBe(2);
  });

  it('manual reasons are cleared only by the operator', () => {
    const { a } = authority(0);
    a.raise('PROTECTION_SWAP_FAILED', 'engine');
    expect(a.clear('PROTECTION_SWAP_FAILED', 'engine')).toEqual({ ok: false, why: 'MANUAL_CLEAR_REQUIRED' });
    expect(a.current).toBe('PAUSE');
    expect(a.clearSource('engine')).toBeNull();
    expect(a.isActive('PROTECTION_SWAP_FAILED')).toBe(true);
    const r = a.clear('PROTECTION_SWAP_FAILED', 'engine', 'operator');
    expect(r.ok).toBe(true);
  });

  it('keys reasons by source: one source clearing does not clear another', () => {
    const { a } = authority(0);
    a.clear('STARTUP_RECOVER', 'engine');
    a.raise('WORKER_STALLED', 'engine');
    a.raise('WORKER_STALLED', 'gateway');
    a.clear('WORKER_STALLED', 'engine');
    expect(a.current).toBe('PAUSE');
    expect(a.isActive('WORKER_STALLED', 'gateway')).toBe(true);
  });

  it('EXIT is terminal', () => {
    const { a } = authority(0);
    expect(a.exit()?.to).toBe('EXIT');
    a.raise('AUDIT_WORKER_EXITED', 'supervisor');
    expect(a.current).toBe('EXIT');
    expect(a.clear('AUDIT_WORKER_EXITED', 'supervisor')).toEqual({ ok: false, why: 'MODE_IS_EXIT' });
    expect(a.exit()).toBeNull();
  });

  it('every change increments seq by one', () => {
    const { a } = authority(0);
    a.clear('STARTUP_RECOVER', 'engine');
    a.tick();
    const s0 = a.state().seq;
    a.raise('WS_STALE', 'gateway');
    expect(a.state().seq).toBe(s0 + 1);
    a.raise('WS_UNSTABLE', 'gateway');
    expect(a.state().seq).toBe(s0 + 1);
  });
});
