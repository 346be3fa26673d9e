export { AuditWriter, GENESIS_HASH, type WriterDeps, type DiskSample } from './writer.js';
export { JsonlLog, utcDay } from './jsonl.js';
export { migrate, SCHEMA_VERSION } from './schema.js';
export { verifyAuditChain, type ChainVerdict } from './verify.js';
export { createAuditWorker } from './audit-worker.js';
export { backupDatabase, pruneBackups, backupName } from './backup.js';
export { AuditReader, OPEN_ORDER_STATUSES, type AlertRow, type FillRow, type GateSummary, type ModeChangeRow, type OrderRow, type RunRow, type StageChangeRow } from './read.js';
