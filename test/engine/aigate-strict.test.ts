import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ReasonCode } from '@vigil/contracts';
import { AI_KEY, startTrading, waitFor } from './engine-harness.js';

/**
 * Issue 17 through the whole bot: a hostile AI gate reply (from apps/ai-reviewer over a socket)
 * keeps the operations rules' failure policy, exactly as the older failure modes do: the decision
 * is not placed, the reason code PAUSEs entries, AIGATE_CALL and ai_gate_events carry the code.
 * And the reviewer's notes reach the audit, redacted.
 */
type Ev = { seq: number; event_type: string; reason_code: string | null; payload: string };
let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});
const post = (url: string, body: unknown) => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());
const reasons = (t: { sup: { modeState: { reasons: readonly { code: ReasonCode }[] } } }) => t.sup.modeState.reasons.map((r) => r.code);

describe('hostile AI gate replies in the running bot', () => {
  for (const [mode, code] of [
    ['duplicate_keys', 'AIGATE_PARSE_FAIL'],
    ['gzip_bomb', 'AIGATE_PARSE_FAIL'],
    ['finish_length', 'AIGATE_PARSE_FAIL'],
    ['modify_raise_ttl', 'AIGATE_MODIFY_INVALID'],
  ] as const) {
    it(`AI gate ${mode}: the decision is blocked, ${code} pauses, AIGATE_CALL and ai_gate_events carry the code, no order`, async () => {
      const t = await startTrading();
      stop = t.stopAll;
      await post(`${t.reviewer.adminUrl}/admin/mode`, { mode });
      // The bound covers boot, the first breakout and the gate call on a loaded 2-core machine; a
      // miss names what the bot was doing instead.
      await waitFor(`${code} PAUSE`, () => t.sup.modeState.mode === 'PAUSE' && reasons(t).includes(code), 45_000, 50).catch((e: unknown) => {
        throw new Error(
          `${String(e)} (mode ${t.sup.modeState.mode}, reasons [${reasons(t).join(', ')}], gate calls ${t.q('SELECT * FROM ai_gate_events').length})`,
        );
      });
      const row = t.q<{ verdict: string; error_code: string }>('SELECT * FROM ai_gate_events')[0]!;
      expect(row).toMatchObject({ verdict: 'ERROR', error_code: code });
      expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'AIGATE_CALL' AND reason_code = ?", code)).toHaveLength(1);
      expect(t.q<Ev>("SELECT * FROM events WHERE event_type = 'INTENT_CREATED'")).toHaveLength(0);
    }, 60_000);
  }

  it("the reviewer's notes are audited in AIGATE_CALL and ai_gate_events, with the echoed API key redacted; the engine warmed the gate's transport before its first review", async () => {
    const t = await startTrading({ extra: { logging: { level: 'info' } } });
    stop = t.stopAll;
    await post(`${t.reviewer.adminUrl}/admin/mode`, { mode: 'leaky_notes' });
    const row = await waitFor(
      'a BLOCK row',
      () => t.q<{ verdict: string; notes: string | null }>("SELECT * FROM ai_gate_events WHERE verdict = 'BLOCK'")[0],
      30_000,
      50,
    );
    expect(row.notes).toMatch(/^echo /);
    expect(row.notes).toContain('[REDACTED]');
    expect(row.notes).not.toContain(AI_KEY);
    expect(row.notes!.length).toBeLessThanOrEqual(500);
    const ev = t.q<Ev>("SELECT * FROM events WHERE event_type = 'AIGATE_CALL'")[0]!;
    expect((JSON.parse(ev.payload) as { notes: string }).notes).toBe(row.notes);
    // The engine ran the gate's transport once against its loopback stub before it reported ready.
    const log = join(t.varDir, 'log', 'engine.log');
    await waitFor('the warm-up logged', () => /AI gate transport warmed in \d+ ms \(loopback stub\)/.test(readFileSync(log, 'utf8')), 5000);
    expect(ev.payload).not.toContain(AI_KEY);
  }, 60_000);
});
