import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { copyFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rowHash } from '@vigil/audit';
import { canonicalJson } from '@vigil/contracts';
import { replayCommand, replayRun } from '../../apps/supervisor/src/replay-command.js';
import { startTrading, waitFor } from './engine-harness.js';

let stop: (() => Promise<void>) | null = null;
const dirs: string[] = [];
afterEach(async () => {
  await stop?.();
  stop = null;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** A copy of a var dir's audit database (checkpointed into one file) in a fresh var dir. */
function copyVar(varDir: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-replay-'));
  dirs.push(dir);
  mkdirSync(join(dir, 'data'));
  const src = new Database(join(varDir, 'data', 'audit.sqlite'));
  src.pragma('wal_checkpoint(TRUNCATE)');
  src.close();
  copyFileSync(join(varDir, 'data', 'audit.sqlite'), join(dir, 'data', 'audit.sqlite'));
  return dir;
}

type Row = { seq: number; event_id: string; payload: string };

/**
 * Rewrites one event's payload and re-chains every row from it on (what a forger with write access
 * would do), so the chain verifies and only the replay can tell.
 */
function alterAndRechain(dbFile: string, seq: number, payload: unknown): void {
  const db = new Database(dbFile);
  db.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(canonicalJson(payload), seq);
  db.close();
  rechainFrom(dbFile, seq);
}

/** Recomputes the hash chain from `seq` on, from the rows as they now are. */
function rechainFrom(dbFile: string, seq: number): void {
  const db = new Database(dbFile);
  try {
    const rows = db.prepare('SELECT * FROM events WHERE seq >= ? ORDER BY seq').all(seq) as Record<string, unknown>[];
    let prev = (db.prepare('SELECT hash FROM events WHERE seq < ? ORDER BY seq DESC LIMIT 1').get(seq) as { hash: string }).hash;
    const upd = db.prepare('UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?');
    db.transaction(() => {
      for (const r of rows) {
        const hash = rowHash({ ...r, prev_hash: prev });
        upd.run(prev, hash, r['seq']);
        prev = hash;
      }
    })();
  } finally {
    db.close();
  }
}

describe('supervisor replay on a run of the bot on the simulator', () => {
  it('replays the run identically (exit 0); in copies: names the altered event when a recorded input is changed and re-chained (a fill report, first by its JSONL mirror line when the mirror is kept; a snapshot, by its own hash), reports a run that dropped audit events as incomplete, and fails at the chain when not re-chained (exit 1)', async () => {
    const t = await startTrading();
    stop = t.stopAll;
    await waitFor('NORMAL', () => t.sup.modeState.mode === 'NORMAL', 15_000, 50);
    await waitFor('protection placed', () => t.q<Row>("SELECT seq FROM events WHERE event_type = 'PROTECTION_PLACED'")[0], 30_000, 100);
    await new Promise((r) => setTimeout(r, 1500));
    await t.stopAll();
    stop = null;

    // The run as recorded: identical, with lifecycle steps and decision cycles that made decisions.
    const lines: string[] = [];
    const io = { out: (l: string) => void lines.push(l), err: (l: string) => void lines.push(l) };
    expect(await replayCommand({ varDir: t.varDir }, io), lines.join('\n')).toBe(0);
    expect(lines[0]).toMatch(/^replay: \d+ cycles identical$/);
    // Every row of the run was compared with its JSONL mirror line (the shutdown flushed them all).
    const [, compared, total] = /JSONL mirror: (\d+) of (\d+) rows compared/.exec(lines[1] ?? '') ?? [];
    expect(Number(compared)).toBeGreaterThan(0);
    expect(compared).toBe(total);
    const r = await replayRun(t.varDir, null);
    expect(r.kind).toBe('REPLAYED');
    if (r.kind !== 'REPLAYED') return;
    expect(r.ok).toBe(true);
    expect(r.run_id).toBe(t.runId);
    expect(r.steps).toBeGreaterThan(0);
    expect(r.decisions).toBeGreaterThan(0);

    // One recorded input altered: the entry's fill report says nothing was filled.
    const copy = copyVar(t.varDir);
    const dbFile = join(copy, 'data', 'audit.sqlite');
    const ro = new Database(dbFile, { readonly: true });
    const steps = ro
      .prepare("SELECT e.seq, e.event_id, e.payload FROM replay_records r JOIN events e USING (seq) WHERE r.input = 'ENTRY_REPORT' ORDER BY seq")
      .all() as Row[];
    ro.close();
    const target = steps.find((s) => (JSON.parse(s.payload) as { input: { status: string } }).input.status === 'FILLED');
    expect(target).toBeDefined();
    const rec = JSON.parse(target!.payload) as { input: { executed_qty: string } };
    alterAndRechain(dbFile, target!.seq, { ...rec, input: { ...rec.input, executed_qty: '0' } });

    const bad: string[] = [];
    expect(await replayCommand({ varDir: copy }, { out: (l) => void bad.push(l), err: (l) => void bad.push(l) })).toBe(1);
    expect(bad[0]).toContain(`divergence at event ${target!.event_id}`);
    expect(bad.join('\n')).toMatch(/expected: .*\n\s+got: /);

    // The same change and re-chaining in a var dir that keeps its JSONL mirror: the mirror names the row first.
    const copy5 = copyVar(t.varDir);
    cpSync(join(t.varDir, 'jsonl'), join(copy5, 'jsonl'), { recursive: true });
    alterAndRechain(join(copy5, 'data', 'audit.sqlite'), target!.seq, { ...rec, input: { ...rec.input, executed_qty: '0' } });
    const mirrored: string[] = [];
    expect(await replayCommand({ varDir: copy5 }, { out: (l) => void mirrored.push(l), err: (l) => void mirrored.push(l) })).toBe(1);
    expect(mirrored[0]).toBe(
      `replay: divergence at event ${target!.event_id} (seq ${target!.seq}): the row differs from its JSONL mirror line (${join(copy5, 'jsonl')}/${readdirSync(join(copy5, 'jsonl'))[0]}): rewritten in the database after its commit`,
    );

    // A snapshot altered and re-chained: its own recorded hash no longer matches its content. A
    // cycle where the strategy proposed nothing (no output changes) when the run has one; a short
    // run on a loaded machine may record only the cycles that proposed (the unit test in
    // packages/engine/src/replay.test.ts always covers the quiet case).
    const copy4 = copyVar(t.varDir);
    const db4File = join(copy4, 'data', 'audit.sqlite');
    const ro4 = new Database(db4File, { readonly: true });
    const quiet = ro4
      .prepare(
        "SELECT e.seq, e.event_id, e.payload FROM events e WHERE e.run_id = ? AND e.event_type = 'CYCLE_INPUTS_RECORDED' ORDER BY EXISTS (SELECT 1 FROM events d WHERE d.run_id = e.run_id AND d.cycle_id = e.cycle_id AND d.event_type = 'DECISION_PROPOSED'), e.seq LIMIT 1",
      )
      .get(t.runId) as Row | undefined;
    ro4.close();
    expect(quiet).toBeDefined();
    const inputs = JSON.parse(quiet!.payload) as { snapshots: { snapshot: { bid: string } }[] };
    inputs.snapshots[0]!.snapshot.bid = `${inputs.snapshots[0]!.snapshot.bid}1`;
    alterAndRechain(db4File, quiet!.seq, inputs);
    const snap: string[] = [];
    expect(await replayCommand({ varDir: copy4 }, { out: (l) => void snap.push(l), err: (l) => void snap.push(l) })).toBe(1);
    expect(snap[0]).toMatch(new RegExp(`^replay: divergence at event ${quiet!.event_id} \\(seq ${quiet!.seq}\\): cycle \\d+: snapshot \\S+ hash$`));

    // A run whose audit dropped events cannot vouch for its recordings being complete: exit 1.
    const copy3 = copyVar(t.varDir);
    const db3 = new Database(join(copy3, 'data', 'audit.sqlite'));
    const sample = db3.prepare("SELECT seq FROM events WHERE run_id = ? AND event_type = 'REASON_RAISED' ORDER BY seq DESC LIMIT 1").get(t.runId) as {
      seq: number;
    };
    db3.prepare("UPDATE events SET reason_code = 'DB_WRITER_DROPPED' WHERE seq = ?").run(sample.seq);
    db3.close();
    rechainFrom(join(copy3, 'data', 'audit.sqlite'), sample.seq);
    const dropped: string[] = [];
    expect(await replayCommand({ varDir: copy3 }, { out: (l) => void dropped.push(l), err: (l) => void dropped.push(l) })).toBe(1);
    expect(dropped[0]).toMatch(
      new RegExp(`^replay: \\d+ cycles identical, but incomplete: the run dropped audit events \\(DB_WRITER_DROPPED at seq ${sample.seq}\\)`),
    );

    // The same change without re-chaining is caught by the hash chain first, at that row.
    const copy2 = copyVar(t.varDir);
    const db2 = new Database(join(copy2, 'data', 'audit.sqlite'));
    db2.prepare('UPDATE events SET payload = ? WHERE seq = ?').run(canonicalJson({ ...rec, input: { ...rec.input, executed_qty: '0' } }), target!.seq);
    db2.close();
    const broken: string[] = [];
    expect(await replayCommand({ varDir: copy2 }, { out: (l) => void broken.push(l), err: (l) => void broken.push(l) })).toBe(1);
    expect(broken[0]).toBe(
      `replay: audit chain broken: HASH_MISMATCH at seq ${target!.seq} (event ${target!.event_id}) in ${join(copy2, 'data', 'audit.sqlite')}`,
    );
  });
});
