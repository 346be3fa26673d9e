import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { checkDatabaseMirrorInThread, verifyAuditSetInThread, type MirrorCheck, type SetVerdict } from '@vigil/audit';
import type { Config, JsonObject } from '@vigil/contracts';
import { ENGINE_START_STAGE, REPLAY_EVENT_TYPES, Replayer, type Divergence, type ReplayEvent, type ReplayResult } from '@vigil/engine/replay';

export const REPLAY_EXIT = { IDENTICAL: 0, DIVERGED: 1 } as const;

/** From this many recorded events on, the detail line gives events per second. */
export const RATE_MIN_EVENTS = 20_000;

interface Out {
  out(line: string): void;
  err(line: string): void;
}
const STD: Out = { out: (l) => void process.stdout.write(`${l}\n`), err: (l) => void process.stderr.write(`${l}\n`) };

export type RunReplay =
  | ({
      readonly kind: 'REPLAYED';
      readonly run_id: string;
      /** The replay proper (read, parse, re-run, compare), on this thread. */
      readonly ms: number;
      /** The process's CPU meanwhile: the check threads' too, while they run beside it. */
      readonly cpu_ms: number;
      /** The whole command: chain, mirror and replay, from opening the database to the verdict. */
      readonly whole_ms: number;
      readonly chain_rows: number;
      readonly dropped_at: number | null;
      /** Whether the run recorded its orderly stop (RUN_STOPPED): false while it still runs, or after a crash. */
      readonly stopped: boolean;
      /** The run's rows compared with their JSONL mirror lines (null: no mirror beside the database). */
      readonly mirror: { readonly compared: number; readonly rows: number } | null;
    } & ReplayResult)
  | { readonly kind: 'REFUSED'; readonly why: string }
  | { readonly kind: 'MIRROR_MISMATCH'; readonly run_id: string; readonly divergence: Divergence };

/** A run's events that replay reads, in seq order (parameters: run id, REPLAY_EVENT_TYPES, ENGINE_START_STAGE). */
export const REPLAY_SQL = `SELECT seq, event_id, event_type, cycle_id, payload FROM events WHERE run_id = ? AND (event_type IN (${REPLAY_EVENT_TYPES.map(() => '?').join(', ')}) OR (event_type = 'STAGE_CHANGED' AND stage = ?)) ORDER BY seq`;

/** The configuration a run recorded at its start (its first CONFIG_LOADED), or null. */
export function runConfig(db: Database.Database, run: string): Config | null {
  const cl = db.prepare("SELECT payload FROM events WHERE run_id = ? AND event_type = 'CONFIG_LOADED' ORDER BY seq LIMIT 1").get(run) as
    { payload: string } | undefined;
  return cl ? ((JSON.parse(cl.payload) as { config?: Config }).config ?? null) : null;
}

/** The replay proper over an open database: `run`'s recorded inputs through the engine's pure functions, timed. */
export function replayRecorded(db: Database.Database, run: string, config: Config): ReplayResult & { readonly ms: number; readonly cpu_ms: number } {
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  const r = new Replayer(config);
  // The run id is the query's: not read again for every row.
  // Raw rows (arrays, in REPLAY_SQL's column order): a third cheaper to read than an object a row.
  const rows = db
    .prepare(REPLAY_SQL)
    .raw(true)
    .iterate(run, ...REPLAY_EVENT_TYPES, ENGINE_START_STAGE) as IterableIterator<
    [seq: number, event_id: string, event_type: ReplayEvent['event_type'], cycle_id: number | null, payload: string]
  >;
  for (const [seq, event_id, event_type, cycle_id, payload] of rows) {
    if (!r.push({ seq, event_id, event_type, run_id: run, cycle_id, payload: JSON.parse(payload) as JsonObject })) break;
  }
  const res = r.finish();
  const cpu = process.cpuUsage(c0);
  return { ...res, ms: performance.now() - t0, cpu_ms: (cpu.user + cpu.system) / 1000 };
}

/**
 * Replays one run of an audit database (read-only): the hash chain (archives and live database as
 * one chain: a recording nobody can vouch for proves nothing), the run's rows against their JSONL
 * mirror, and every recorded input of the run through the engine's pure functions
 * (engine/replay.ts). The configuration is the run's own, as CONFIG_LOADED recorded it. Default
 * run: the newest with recordings.
 *
 * The chain walk and the mirror read each run on a thread of their own while this one replays: all
 * three read every row. What is reported keeps their order of authority: a broken chain first
 * (nothing after it can be trusted), then the mirror, then the replay's own verdict.
 */
export async function replayRun(varDir: string, runId: string | null): Promise<RunReplay> {
  const dbFile = join(varDir, 'data', 'audit.sqlite');
  if (!existsSync(dbFile)) return { kind: 'REFUSED', why: `REPLAY_NO_AUDIT: no audit database at ${dbFile}` };
  const t0 = performance.now();
  const chainP = verifyAuditSetInThread(dbFile, join(varDir, 'data', 'archive'));
  let mirrorP: Promise<MirrorCheck | null> | null = null;
  let db: Database.Database | null = null;
  try {
    db = new Database(dbFile, { readonly: true, fileMustExist: true });
    const opened = db;
    /** A broken chain as the refusal naming its first bad row. */
    const refusalOf = (chain: Extract<SetVerdict, { ok: false }>): RunReplay => {
      const at = opened.prepare('SELECT event_id FROM events WHERE seq = ?').get(chain.firstBadSeq) as { event_id: string } | undefined;
      return { kind: 'REFUSED', why: `audit chain broken: ${chain.reason} at seq ${chain.firstBadSeq}${at ? ` (event ${at.event_id})` : ''} in ${chain.file}` };
    };
    /** The chain's verdict as that refusal, or null when the chain holds. */
    const brokenChain = async (): Promise<RunReplay | null> => {
      const chain = await chainP;
      return chain.ok ? null : refusalOf(chain);
    };
    const refuse = async (why: string): Promise<RunReplay> => (await brokenChain()) ?? { kind: 'REFUSED', why };
    const version = db.pragma('user_version', { simple: true }) as number;
    if (version < 4) return await refuse(`REPLAY_SCHEMA_TOO_OLD: the audit database (schema v${version}) predates replay recordings (v4)`);
    const run = runId ?? (db.prepare('SELECT run_id FROM replay_records ORDER BY seq DESC LIMIT 1').get() as { run_id: string } | undefined)?.run_id ?? null;
    if (run === null) return await refuse('REPLAY_NO_RECORDINGS: no run in this database has replay recordings');
    // Through the run's events (index events_run_seq): replay_records has no run index (schema v5).
    const recorded = (
      db.prepare('SELECT EXISTS (SELECT 1 FROM events e JOIN replay_records r ON r.seq = e.seq WHERE e.run_id = ?) AS n').get(run) as { n: number }
    ).n;
    if (recorded === 0) return await refuse(`REPLAY_NO_RECORDINGS: run ${run} has no replay recordings`);
    const config = runConfig(db, run);
    if (config === null) return await refuse(`REPLAY_NO_CONFIG: run ${run} has no CONFIG_LOADED with its configuration`);

    // The mirror written at each commit: a row rewritten (and re-chained) in the database alone
    // differs from its line there.
    mirrorP = checkDatabaseMirrorInThread(dbFile, join(varDir, 'jsonl'), run);
    // Bulk events the writer or a producer had to drop: recordings may be missing (fail closed).
    const dropped = db.prepare("SELECT min(seq) AS seq FROM events WHERE run_id = ? AND reason_code = 'DB_WRITER_DROPPED'").get(run) as { seq: number | null };
    // Through events_type_seq: RUN_STOPPED rows are few, a run's events may be millions.
    const stopped = db
      .prepare("SELECT EXISTS (SELECT 1 FROM events INDEXED BY events_type_seq WHERE event_type = 'RUN_STOPPED' AND run_id = ?) AS n")
      .get(run) as {
      n: number;
    };
    let res: ReturnType<typeof replayRecorded>;
    try {
      res = replayRecorded(db, run, config);
    } catch (e) {
      // Rows nobody can vouch for may not even parse: the chain names them.
      const broken = await brokenChain();
      if (broken) return broken;
      throw e;
    }
    const chain = await chainP;
    if (!chain.ok) return refusalOf(chain);
    const mirror = await mirrorP;
    if (mirror?.mismatch) {
      const m = mirror.mismatch;
      return {
        kind: 'MIRROR_MISMATCH',
        run_id: run,
        divergence: {
          event_id: m.event_id,
          seq: m.seq,
          what: `the row differs from its JSONL mirror line (${m.file}): rewritten in the database after its commit`,
          expected: m.mirror.join(' or '),
          got: m.database,
        },
      };
    }
    return {
      kind: 'REPLAYED',
      run_id: run,
      whole_ms: performance.now() - t0,
      chain_rows: chain.rows + chain.archivedRows,
      dropped_at: dropped.seq,
      stopped: stopped.n === 1,
      mirror: mirror === null || mirror.files === 0 ? null : { compared: mirror.compared, rows: mirror.rows },
      ...res,
    };
  } finally {
    db?.close();
    // Never a thread left running (or a rejection unobserved) past the answer.
    await Promise.allSettled([chainP, ...(mirrorP ? [mirrorP] : [])]);
  }
}

/** `supervisor replay --var DIR [--run RUN_ID]`: exit 0 when every recorded cycle comes out identical. */
export async function replayCommand(opts: { readonly varDir: string; readonly run?: string | undefined }, io: Out = STD): Promise<number> {
  let r: RunReplay;
  try {
    r = await replayRun(resolve(opts.varDir), opts.run ?? null);
  } catch (e) {
    io.err(`replay: REPLAY_UNREADABLE: cannot read ${opts.varDir}: ${(e as Error).message}`);
    return REPLAY_EXIT.DIVERGED;
  }
  if (r.kind === 'REFUSED') {
    io.out(`replay: ${r.why}`);
    return REPLAY_EXIT.DIVERGED;
  }
  if (r.kind === 'MIRROR_MISMATCH') {
    const d = r.divergence;
    io.out(`replay: divergence at event ${d.event_id} (seq ${d.seq}): ${d.what}`);
    io.out(`  expected: ${d.expected}`);
    io.out(`  got:      ${d.got}`);
    return REPLAY_EXIT.DIVERGED;
  }
  // A rate over a few hundred milliseconds measures the start (threads, JIT warm-up), not the
  // replay: given from RATE_MIN_EVENTS recorded events on.
  const rate = (ms: number): string => (r.events >= RATE_MIN_EVENTS && ms > 0 ? ` (${Math.round((r.events / ms) * 1000)} events/s)` : '');
  const detail = `run ${r.run_id}: ${r.cycles} decision cycles (${r.decisions} decisions), ${r.steps} lifecycle steps; ${r.events} recorded events replayed in ${Math.round(r.ms)} ms${rate(r.ms)}, ${Math.round(r.whole_ms)} ms with the chain and mirror checks beside it${rate(r.whole_ms)}; hash chain: ${r.chain_rows} events verified; JSONL mirror: ${r.mirror === null ? 'absent, not compared' : `${r.mirror.compared} of ${r.mirror.rows} rows compared`}`;
  if (r.ok && r.dropped_at !== null) {
    io.out(
      `replay: ${r.cycles + r.steps} cycles identical, but incomplete: the run dropped audit events (DB_WRITER_DROPPED at seq ${r.dropped_at}), so recordings may be missing`,
    );
    io.out(`  ${detail}`);
    return REPLAY_EXIT.DIVERGED;
  }
  if (r.ok) {
    io.out(`replay: ${r.cycles + r.steps} cycles identical`);
    io.out(`  ${detail}`);
    // What was recorded is identical; the operator should still know where it is not the whole story.
    if (r.cut_short > 0)
      io.out(
        `  ${r.cut_short} ${r.cut_short === 1 ? 'cycle' : 'cycles'} cut short: the engine stopped (killed, restarted, or the run is still going) before the outcome was audited; compared as far as recorded`,
      );
    if (!r.stopped) io.out(`  the run has no RUN_STOPPED: it is still running, or it ended without an orderly stop; its events up to now were replayed`);
    return REPLAY_EXIT.IDENTICAL;
  }
  const d = r.divergence;
  io.out(`replay: divergence at event ${d.event_id} (seq ${d.seq}): ${d.what}`);
  io.out(`  expected: ${d.expected}`);
  io.out(`  got:      ${d.got}`);
  io.out(`  ${detail}`);
  return REPLAY_EXIT.DIVERGED;
}
