import type { ActiveReason } from '@vigil/contracts';
import { REASON_CODES } from '@vigil/contracts';
import { redact } from '@vigil/core';

const COLORS = { CRIT: '\x1b[41;97m', WARN: '\x1b[43;30m', INFO: '\x1b[44;97m' } as const;

/** Console side of ALERT_RAISED: one line per alert, coloured on a terminal, secrets redacted. */
export function printAlert(r: ActiveReason, stream: NodeJS.WriteStream = process.stderr): void {
  const tag = stream.isTTY ? `${COLORS[r.severity]} ${r.severity} \x1b[0m` : `[${r.severity}]`;
  const detail = JSON.stringify(redact(r.detail));
  stream.write(`${new Date(r.last_ts_ms).toISOString()} ALERT ${tag} ${r.code} source=${r.source} count=${r.count} - ${REASON_CODES[r.code].summary} ${detail}\n`);
}
