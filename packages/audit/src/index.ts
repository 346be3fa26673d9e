export { AuditWriter, type WriterDeps, type DiskSample } from './writer.js';
export { GENESIS_HASH } from './row-text.js';
export { JsonlLog, utcDay } from './jsonl.js';
export { checkDatabaseFileMirror, checkDatabaseMirror, checkJsonlMirror, type MirrorCheck } from './jsonl-mirror.js';
export { checkDatabaseMirrorInThread, verifyAuditSetInThread } from './check-thread.js';
export { migrate, SCHEMA_VERSION } from './schema.js';
export {
  verifyAuditChain,
  verifyAuditSet,
  verifyDatabaseCopy,
  walkChain,
  rowHash,
  readAnchor,
  type ChainVerdict,
  type SetVerdict,
  type CopyVerdict,
  type ChainAnchor,
} from './verify.js';
export { createAuditWorker } from './audit-worker.js';
export { backupDatabase, finishBackup, pruneBackups, backupName, listBackups, newestBackupMs, type BackupFile } from './backup.js';
export { nextBackupAt, nextSlotAfter, utcTimeOfDayMs } from './backup-schedule.js';
export { Housekeeper, type BackupOutcome, type HousekeeperDeps } from './housekeeping.js';
export { archiveOldDays, pinnedFloor, pinnedEvents, archiveFileFor, type ArchivedDay, type PrunedOrders, type RetentionResult } from './retention.js';
export {
  AuditReader,
  OPEN_ORDER_STATUSES,
  type AlertRow,
  type FillRow,
  type GateSummary,
  type ModeChangeRow,
  type OrderRow,
  type RunRow,
  type StageChangeRow,
} from './read.js';
