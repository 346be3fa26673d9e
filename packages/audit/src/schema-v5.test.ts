import { closeSync, openSync, readSync } from 'node:fs';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { newIntentId, type EventEnvelope, type EventType, type JsonObject } from '@vigil/contracts';
import { SCHEMA_VERSION, migrate } from './schema.js';
import { auditSetup } from './testing-setup.test-helper.js';
import { verifyAuditChain } from './verify.js';
import { AuditWriter } from './writer.js';

const indexesOf = (db: Database.Database): Record<string, string> =>
  Object.fromEntries(
    (db.prepare("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name").all() as { name: string; sql: string }[]).map(
      (r) => [r.name, r.sql],
    ),
  );

/** Frames in the WAL (WalIndexHdr.mxFrame of the -shm file) and the page numbers of frames (from, to]. */
function walFrames(dbFile: string): number {
  const b = Buffer.alloc(4);
  const fd = openSync(`${dbFile}-shm`, 'r');
  readSync(fd, b, 0, 4, 16);
  closeSync(fd);
  return b.readUInt32LE(0);
}
function framePages(dbFile: string, from: number, to: number, pageSize: number): number[] {
  const fd = openSync(`${dbFile}-wal`, 'r');
  const h = Buffer.alloc(4);
  const pages: number[] = [];
  for (let i = from + 1; i <= to; i++) {
    readSync(fd, h, 0, 4, 32 + (i - 1) * (pageSize + 24));
    pages.push(h.readUInt32BE(0));
  }
  closeSync(fd);
  return pages;
}

describe('audit schema v5: fewer indexes written per commit (issue 19)', () => {
  it('a v4 database is migrated to v5: the cycle, decision, intent and replay-run indexes are gone, the rest kept, rows and chain kept', () => {
    const s = auditSetup();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }));
    s.writer.close();
    // Back to what a v4 build left: its indexes, user_version 4.
    const old = new Database(s.dbFile);
    old.exec(`CREATE INDEX events_cycle ON events(cycle_id) WHERE cycle_id IS NOT NULL;
      CREATE INDEX events_decision ON events(decision_id) WHERE decision_id IS NOT NULL;
      CREATE INDEX events_intent ON events(order_intent_id) WHERE order_intent_id IS NOT NULL;
      CREATE INDEX replay_records_run ON replay_records(run_id, seq);`);
    old.pragma('user_version = 4');
    old.close();

    const w = new AuditWriter({ dbFile: s.dbFile, jsonlDir: `${s.varDir}/jsonl`, config: s.config, now: () => s.clock.now, setReason: () => {} });
    w.open();
    w.enqueue([s.ev({ n: 3 })]);
    w.drainAll();
    w.close();

    const db = new Database(s.dbFile, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      const ix = indexesOf(db);
      for (const gone of ['events_cycle', 'events_decision', 'events_intent', 'replay_records_run']) expect(ix[gone]).toBeUndefined();
      expect(Object.keys(ix).filter((n) => n.startsWith('events_'))).toEqual(['events_reason', 'events_run_seq', 'events_ts', 'events_type_seq']);
      expect((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(3);
    } finally {
      db.close();
    }
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: 3 });
  });

  it('a fresh database and one migrated from v4 have the same indexes', () => {
    const fresh = new Database(':memory:');
    migrate(fresh);
    const stepped = new Database(':memory:');
    migrate(stepped, 4);
    expect(stepped.pragma('user_version', { simple: true })).toBe(4);
    expect(indexesOf(stepped)['events_decision']).toBeDefined();
    migrate(stepped);
    expect(stepped.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    expect(indexesOf(stepped)).toEqual(indexesOf(fresh));
    expect(indexesOf(fresh)['events_decision']).toBeUndefined();
  });

  it("the intent's commit (the records after the gate's answer, the gate's record, INTENT_CREATED) writes no page of an index by cycle, decision or intent id", () => {
    const s = auditSetup({ synchronous: 'FULL' });
    const db = s.writer.connection!;
    const pageSize = db.pragma('page_size', { simple: true }) as number;
    let cycle = 0;
    const ev = (type: EventType, payload: JsonObject, over: Partial<EventEnvelope> = {}): EventEnvelope => ({
      ...s.ev(payload, type),
      source: 'engine',
      cycle_id: cycle,
      ...over,
    });
    const entry = (): { bulk: EventEnvelope[]; critical: EventEnvelope[] } => {
      cycle++;
      s.clock.now += 1000;
      const decision = `${cycle}`.padStart(64, 'd');
      const intent = newIntentId(s.clock.now);
      return {
        bulk: [
          ev('STAGE_CHANGED', { from: 'IDLE', to: 'MARKET_SNAPSHOT' }, { stage: 'MARKET_SNAPSHOT' }),
          ev('DECISION_PROPOSED', { body: 'x'.repeat(600) }, { decision_id: decision }),
          ev('CYCLE_INPUTS_RECORDED', { v: 1, snapshots: 'y'.repeat(700) }),
          ev('ORDER_UPDATED', { client_order_id: `vge${cycle}`, status: 'FILLED' }),
        ],
        critical: [
          ev('STAGE_CHANGED', { from: 'AIGATE_CALL', to: 'RISK_VERDICT' }, { stage: 'RISK_VERDICT', decision_id: decision }),
          ev('RISK_VERDICT_GIVEN', { ok: true, inputs: 'z'.repeat(500) }, { decision_id: decision }),
          ev('STAGE_CHANGED', { from: 'RISK_VERDICT', to: 'EXECUTE' }, { stage: 'EXECUTE', decision_id: decision }),
          ev('AIGATE_CALL', { verdict: 'ALLOW', model: 'm', reasons: [], latency_ms: 40 }, { decision_id: decision }),
          ev(
            'INTENT_CREATED',
            { kind: 'ENTRY', symbol: 'BTCUSDT', side: 'BUY', client_order_id: `vge${cycle}` },
            { decision_id: decision, order_intent_id: intent, stage: 'EXECUTE' },
          ),
        ],
      };
    };
    // Enough history that every index has interior pages and full leaves.
    for (let i = 0; i < 300; i++) {
      const e = entry();
      s.write(...e.bulk, ...e.critical);
    }
    const touched = new Set<number>();
    for (let i = 0; i < 40; i++) {
      const e = entry();
      s.write(...e.bulk);
      const before = walFrames(s.dbFile);
      s.writer.enqueue(e.critical, { resolve: () => {}, reject: (err) => expect.fail(err.message) });
      expect(s.writer.drainOnce()).toBe(5);
      const after = walFrames(s.dbFile);
      expect(after).toBeGreaterThan(before);
      for (const p of framePages(s.dbFile, before, after, pageSize)) touched.add(p);
    }
    const owner = new Map((db.prepare('SELECT pageno, name FROM dbstat').all() as { pageno: number; name: string }[]).map((r) => [r.pageno, r.name]));
    const trees = [...new Set([...touched].map((p) => owner.get(p) ?? `page ${p}`))].sort();
    // The event rows and their id (idempotent re-sends), time, run and type indexes; the rows
    // derived in the same transaction (stage, gate, intent with its key and state); the header
    // page (file growth). Not the indexes by cycle, decision or intent id (schema v5).
    expect(trees).toEqual([
      'ai_gate_events',
      'ai_gate_events_ts',
      'events',
      'events_run_seq',
      'events_ts',
      'events_type_seq',
      'order_intents',
      'order_intents_state',
      'sqlite_autoindex_events_1',
      'sqlite_autoindex_order_intents_1',
      'sqlite_schema',
      'stage_changes',
    ]);
    s.writer.close();
  });
});
