import { resolve } from 'node:path';
import type { Config, ReasonCode } from '@vigil/contracts';
import { checkRegularFile } from '@vigil/runtime';

export type LockResult = { readonly ok: true } | { readonly ok: false; readonly code: ReasonCode; readonly lock: string; readonly message: string };

/**
 * The Live locks of the operations rules, checked in their order: MODE=LIVE, AI_DEC=2, the --live
 * flag, and the external lock file when enabled. The first that fails is named; nothing starts.
 */
export function checkLiveLocks(config: Config, flags: { readonly live: boolean }, varDir: string): LockResult {
  if (config.mode !== 'LIVE') {
    return { ok: false, code: 'MODE_NOT_LIVE', lock: 'MODE', message: `MODE is "${config.mode}"; this system is Live-only and starts only with MODE=LIVE` };
  }
  if (config.ai_dec !== 2) {
    return { ok: false, code: 'AI_DEC_NOT_2', lock: 'AI_DEC', message: `AI_DEC is ${config.ai_dec}; Live requires AI_DEC=2 (AI gate mandatory, fail-closed)` };
  }
  if (!flags.live) {
    return { ok: false, code: 'LIVE_FLAG_MISSING', lock: '--live', message: 'the --live flag was not given: real orders need an explicit --live' };
  }
  if (config.live.live_lock_file_enabled) {
    const file = resolve(varDir, config.live.live_lock_file);
    // A regular file only (stat, never an open: a FIFO cannot block this): a directory or a device
    // of that name is an accident, not an operator's release.
    const st = checkRegularFile(file);
    if (!st.ok && st.failure === 'missing') {
      return {
        ok: false,
        code: 'LIVE_LOCK_FILE_MISSING',
        lock: 'LIVE.ok',
        message: `the live lock file ${file} does not exist (create it to release Live, or disable live.live_lock_file_enabled)`,
      };
    }
    if (!st.ok) {
      return {
        ok: false,
        code: 'LIVE_LOCK_FILE_MISSING',
        lock: 'LIVE.ok',
        message: `the live lock file is refused: ${st.message} (it must be a regular file)`,
      };
    }
  }
  return { ok: true };
}
