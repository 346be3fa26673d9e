import { afterEach, describe, expect, it } from 'vitest';
import { replayCommand, replayRun } from '../../apps/supervisor/src/replay-command.js';
import { startReviewer } from '../../apps/ai-reviewer/src/server.js';
import { AI_KEY, breakoutNow, LOAD_TOLERANT_SUPERVISOR, startTrading, waitFor } from './engine-harness.js';

let stop: (() => Promise<void>) | null = null;
afterEach(async () => {
  await stop?.();
  stop = null;
});

const post = (url: string, body: unknown): Promise<unknown> => fetch(url, { method: 'POST', body: JSON.stringify(body) }).then((r) => r.json());

describe('supervisor replay of a run whose engine died in the middle of a cycle', () => {
  it('an engine killed while its decision waits for the AI gate: the run replays identically (exit 0) and the cycle is reported as cut short, not as a divergence', async () => {
    // The model answers after 3 s: the engine is killed while the decision is at the gate, its
    // DECISION_PROPOSED audited and its gate record never written.
    const reviewer = await startReviewer({ apiKey: AI_KEY });
    await post(`${reviewer.adminUrl}/admin/mode`, { mode: 'slow', delay_ms: 3000 });
    const t = await startTrading({
      reviewer,
      extra: { supervisor: LOAD_TOLERANT_SUPERVISOR, aigate: { base_url: reviewer.baseUrl, model: 'vigil-reviewer-1', timeout_ms: 6000 } },
    });
    stop = async () => {
      await t.stopAll();
      await reviewer.close();
    };
    await waitFor('NORMAL', () => t.sup.modeState.mode === 'NORMAL', 30_000, 50);
    await breakoutNow(t, { until: 'gate' });
    const proposed = await waitFor(
      'a decision at the gate',
      () =>
        t.q<{ seq: number; cycle_id: number }>(
          "SELECT seq, cycle_id FROM events WHERE event_type = 'DECISION_PROPOSED' AND json_extract(payload, '$.ok') = 1",
        )[0],
      10_000,
      20,
    );
    // Its inputs are recorded a turn after the cycle began: killed before that, the cycle would hold
    // outputs without inputs (also cut short; packages/engine/src/replay.test.ts has that case).
    await waitFor(
      'its inputs recorded',
      () => t.q("SELECT 1 FROM events WHERE event_type = 'CYCLE_INPUTS_RECORDED' AND cycle_id = ?", proposed.cycle_id)[0],
      10_000,
      20,
    );
    await t.sup.hosts.engine.kill();
    // The restarted engine starts a new engine run within the same run id.
    await waitFor('the engine restarted', () => t.sup.hosts.engine.state === 'running', 30_000, 50);
    await new Promise((r) => setTimeout(r, 1000));
    await stop();
    stop = null;
    // The kill came before the gate's answer: no gate record, no verdict, no intent for it.
    const after = t.q<{ event_type: string }>("SELECT event_type FROM events WHERE seq > ? AND event_type IN ('AIGATE_CALL', 'INTENT_CREATED')", proposed.seq);
    expect(after.filter((e) => e.event_type === 'INTENT_CREATED')).toEqual([]);

    const lines: string[] = [];
    const code = await replayCommand({ varDir: t.varDir }, { out: (l) => void lines.push(l), err: (l) => void lines.push(l) });
    expect(code, lines.join('\n')).toBe(0);
    expect(lines[0]).toMatch(/^replay: \d+ cycles identical$/);
    expect(lines.join('\n')).toMatch(/1 cycle cut short/);
    const r = await replayRun(t.varDir, null);
    expect(r.kind === 'REPLAYED' && r.ok && r.cut_short).toBe(1);
  }, 120_000);
});
