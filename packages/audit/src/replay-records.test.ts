import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from './schema.js';
import { auditSetup } from './testing-setup.test-helper.js';
import { verifyAuditChain } from './verify.js';
import { AuditWriter } from './writer.js';

describe('audit schema v4: replay recordings', () => {
  it('a v3 database is migrated in place (its rows kept, chain intact) and then records the replay recordings by run', () => {
    const s = auditSetup();
    s.write(s.ev({ n: 1 }), s.ev({ n: 2 }));
    s.writer.close();
    // Back to what a v3 build left: no replay_records table.
    const old = new Database(s.dbFile);
    old.exec('DROP TABLE replay_records');
    old.pragma('user_version = 3');
    old.close();

    const w = new AuditWriter({ dbFile: s.dbFile, jsonlDir: `${s.varDir}/jsonl`, config: s.config, now: () => s.clock.now, setReason: () => {} });
    w.open();
    const step = {
      ...s.ev(
        { v: 1, symbol: 'BTCUSDT', state: {}, input: { kind: 'TICK', phase: 'POSITION', facts: {} }, commands: [{ kind: 'PROTECT' }], state_out: null },
        'LIFECYCLE_STEPPED',
      ),
      cycle_id: 3,
    };
    const rules = s.ev({ v: 1, ref: 'abcd', rules: { symbol: 'ETHUSDT' } }, 'RULES_RECORDED');
    const cycle = { ...s.ev({ v: 1, snapshots: [] }, 'CYCLE_INPUTS_RECORDED'), cycle_id: 4 };
    w.enqueue([step, rules, cycle, s.ev({ n: 3 })]);
    w.drainAll();
    w.close();

    const db = new Database(s.dbFile, { readonly: true });
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT run_id, cycle_id, record, symbol, input, commands FROM replay_records ORDER BY seq').all()).toEqual([
        { run_id: 'run_t', cycle_id: 3, record: 'STEP', symbol: 'BTCUSDT', input: 'TICK/POSITION', commands: 1 },
        { run_id: 'run_t', cycle_id: null, record: 'RULES', symbol: 'ETHUSDT', input: 'abcd', commands: null },
        { run_id: 'run_t', cycle_id: 4, record: 'CYCLE', symbol: null, input: null, commands: null },
      ]);
      expect((db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n).toBe(6);
    } finally {
      db.close();
    }
    expect(verifyAuditChain(s.dbFile)).toEqual({ ok: true, rows: 6 });
  });
});
