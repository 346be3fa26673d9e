import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EventEnvelope, type EventType, type JsonObject, type ReasonCode, envelopeOf } from '@vigil/contracts';
import { EventFactory, parseConfig } from '@vigil/runtime';
import { Housekeeper, type HousekeeperDeps } from './housekeeping.js';
import { verifyDatabaseCopy } from './verify.js';
import { AuditWriter } from './writer.js';

/**
 * A real audit writer on a real SQLite file in a fresh var/ directory, with a clock the test moves
 * (days pass in microseconds), and a Housekeeper on the same writer and clock. The copy check runs
 * in-thread here (the worker runs the same function on another thread).
 */
export function auditSetup(audit: Record<string, unknown> = {}, start = Date.UTC(2026, 0, 10, 12, 0, 0)) {
  const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, ...audit } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const config = r.config.audit;
  const varDir = mkdtempSync(join(tmpdir(), 'audit-hk-'));
  const dbFile = join(varDir, 'data', 'audit.sqlite');
  const clock = { now: start };
  const reasons = new Map<ReasonCode, JsonObject>();
  const writer = new AuditWriter({
    dbFile,
    jsonlDir: join(varDir, 'jsonl'),
    config,
    now: () => clock.now,
    setReason: (code, on, detail) => (on ? reasons.set(code, detail) : reasons.delete(code)),
  });
  writer.open();
  const ev = (payload: JsonObject = {}, type: EventType = 'HEALTH_SAMPLED', reason: ReasonCode | null = null): EventEnvelope =>
    envelopeOf({ ts_ms: clock.now, run_id: 'run_t', source: 'engine', event_type: type, reason_code: reason, payload });
  const write = (...evs: EventEnvelope[]): void => {
    writer.enqueue(evs);
    writer.drainAll();
  };
  const logs: string[] = [];
  const housekeeper = (over: Record<string, unknown> = {}, deps: Partial<Pick<HousekeeperDeps, 'submit' | 'pause'>> = {}): Housekeeper =>
    new Housekeeper({
      writer,
      varDir,
      config: { ...config, ...over },
      now: () => clock.now,
      events: new EventFactory('run_hk', 'audit', () => clock.now),
      submit: async (e) => {
        writer.enqueue([e]);
        writer.drainAll();
      },
      verify: async (file) => verifyDatabaseCopy(file),
      log: { info: (m) => void logs.push(m), warn: (m) => void logs.push(m) },
      pause: async () => {},
      // The tests call tick() themselves: no real timers.
      setTimer: () => null,
      clearTimer: () => {},
      ...deps,
    });
  return { writer, varDir, dbFile, clock, reasons, ev, write, housekeeper, logs, config };
}
