import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EVENT_TYPES } from './event-types.js';
import { REASON_CODES, REASON_CODE_LIST } from './reason-codes.js';

/** The operations rules are the requirement: every code and event type they name is in the catalogue. */
const rulesPath = new URL('../../../../shared/spec/10_OPERATIONS_RULES.md', import.meta.url);

describe('reason code catalogue', () => {
  // CI and the team's clones have shared/ beside the repo; a bare checkout elsewhere cannot check.
  it.skipIf(!existsSync(rulesPath))('holds every reason code and event type named in the operations rules', () => {
    const text = readFileSync(rulesPath, 'utf8');
    const named = new Set(text.match(/\b[A-Z][A-Z0-9]+(?:_[A-Z0-9]+)+\b/g) ?? []);
    // Names in the rules that are not reason codes or event types: states, stages, config keys, metrics.
    const notCodes = new Set([
      'STARTUP_RECONCILE',
      'SENT_UNKNOWN',
      'FAILED_TERMINAL',
      'NOT_FOUND',
      'STRATEGY_PROPOSE',
      'RISK_VERDICT',
      'AIGATE_CALL',
      'AI_DEC',
      'DISK_FREE_BYTES',
      'SQLITE_WAL_BYTES',
      'OPERATIONS_RULES',
      'SOURCE_OF_TRUTH',
      'EXECUTION_AND_FAILSAFE',
      'DECISIONS_LOG',
      'X_MBX',
    ]);
    const known = new Set<string>([...REASON_CODE_LIST, ...EVENT_TYPES, 'STARTUP_RECOVER', 'RESUME_MANAGE_ONLY', 'CLOSE_SAFELY', 'PAUSE_NEEDS_MANUAL']);
    const missing = [...named].filter((n) => !notCodes.has(n) && !known.has(n) && !/^\d/.test(n));
    expect(missing).toEqual([]);
  });

  it('gives every code a severity, a forced mode and a clear policy', () => {
    for (const [code, spec] of Object.entries(REASON_CODES)) {
      expect(code).toMatch(/^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$/);
      expect(['INFO', 'WARN', 'CRIT']).toContain(spec.severity);
      expect(['NONE', 'DEGRADE', 'PAUSE']).toContain(spec.forces);
      expect(['auto', 'manual']).toContain(spec.clear);
    }
  });

  it('forces PAUSE for every loss of audit and every AI gate failure', () => {
    for (const c of [
      'AUDIT_WORKER_EXITED',
      'AUDIT_WORKER_ERROR',
      'AUDIT_WORKER_STALLED',
      'AUDIT_DB_UNUSABLE',
      'DB_WRITER_QUEUE_FULL',
      'DB_WRITER_DROPPED',
      'AIGATE_TIMEOUT',
      'AIGATE_PARSE_FAIL',
      'AIGATE_SCHEMA_INVALID',
      'AIGATE_REASON_UNKNOWN',
      'AIGATE_MODIFY_INVALID',
    ] as const) {
      expect(REASON_CODES[c].forces).toBe('PAUSE');
    }
  });
});
