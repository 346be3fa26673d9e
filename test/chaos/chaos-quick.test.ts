import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

/**
 * The reduced crash-point matrix (CI): `npm run chaos -- --quick`, one seed, points a, b, c, d, g, h, i (the OCO's stop fills while the bot is down).
 * The real `supervisor start --live` process is SIGKILLed at each point and restarted against the
 * same venue; every row must recover with no duplicate order, every position protected, every
 * audit row present, an intact database and the startup mode path. The rows run three at once,
 * each with its own venue, reviewer and var/ (scripts/chaos.mjs --jobs).
 */
const script = fileURLToPath(new URL('../../scripts/chaos.mjs', import.meta.url));

describe('chaos matrix (quick)', () => {
  it('every crash point of the quick subset recovers with the invariants intact', async () => {
    const report = join(mkdtempSync(join(tmpdir(), 'vigil-chaos-quick-')), 'RELIABILITY.md');
    const r = await execa(process.execPath, [script, '--quick', '--report', report], { reject: false, timeout: 280_000 });
    const json = report.replace(/\.md$/, '.json');
    // No report at all (a timeout, a crash of the harness): show what the harness said.
    expect(existsSync(json), `no report (exit ${r.exitCode}, timed out ${r.timedOut}):\n${r.stderr.slice(-4000)}`).toBe(true);
    const out = JSON.parse(readFileSync(json, 'utf8')) as {
      crash: {
        point: string;
        verdict: string;
        kills: number;
        integrity: string;
        chain: string;
        duplicates: number;
        missing: number;
        recovered: boolean;
        mode_ok: boolean;
        notes: string[];
      }[];
    };
    expect(out.crash.map((x) => x.point)).toEqual([
      'after_intent_commit',
      'after_send_before_response',
      'after_fill_before_protect',
      'swap_after_cancel',
      'entry_working',
      'replace_after_send',
      'protection_placed',
    ]);
    for (const row of out.crash) {
      expect(row, JSON.stringify(row)).toMatchObject({
        verdict: 'PASS',
        recovered: true,
        duplicates: 0,
        missing: 0,
        integrity: 'ok',
        chain: 'ok',
        mode_ok: true,
      });
      expect(row.kills).toBeGreaterThanOrEqual(1);
    }
    expect(readFileSync(report, 'utf8')).toContain('## Crash-point matrix');
    expect(r.exitCode, r.stderr).toBe(0);
  }, 300_000);
});
