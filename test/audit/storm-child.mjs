// Child process for the crash test: a bulk-write storm with a critical write every batch, printing
// each acknowledged critical event_id. The parent SIGKILLs it mid-storm.
import { join } from 'node:path';
import { AuditWriter } from '@vigil/audit';
import { newEventId } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';

const dir = process.argv[2];
const r = parseConfig({ audit: { disk_free_degrade_bytes: 0, disk_free_pause_bytes: 0, audit_writer_batch_max: 500 } });
if (!r.ok) throw new Error('config');
const w = new AuditWriter({
  dbFile: join(dir, 'data', 'audit.sqlite'),
  jsonlDir: join(dir, 'jsonl'),
  config: r.config.audit,
  now: Date.now,
  setReason: () => {},
});
w.open();
const ev = (type, payload) => ({
  event_id: newEventId(),
  ts_ms: Date.now(),
  run_id: 'run_storm',
  source: 'engine',
  cycle_id: null,
  stage: null,
  snapshot_id: null,
  decision_id: null,
  order_intent_id: null,
  event_type: type,
  reason_code: null,
  severity: 'INFO',
  payload,
});
let n = 0;
const step = () => {
  const bulk = [];
  for (let i = 0; i < 200; i++) bulk.push(ev('HEALTH_SAMPLED', { n: n++, pad: 'x'.repeat(64) }));
  w.enqueue(bulk);
  const crit = ev('INTENT_CREATED', { n: n++ });
  w.enqueue([crit], { resolve: () => process.stdout.write(`ACK ${crit.event_id}\n`), reject: () => {} });
  w.drainOnce();
  setImmediate(step);
};
step();
