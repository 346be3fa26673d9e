import { Writable } from 'node:stream';
import winston from 'winston';
import { describe, expect, it } from 'vitest';
import type { AlertsConfig } from '@vigil/contracts';
import { AlertHub, noticeOfWorker } from './alert-hub.js';
import { WebhookNotifier } from './alerts.js';

const cfg: AlertsConfig = {
  webhook_urls: [],
  webhook_on: ['CRIT', 'WARN'],
  webhook_timeout_ms: 1000,
  webhook_attempts_max: 1,
  webhook_backoff_initial_ms: 10,
  webhook_backoff_max_ms: 10,
  webhook_queue_capacity: 10,
};

function hub(capacity?: number) {
  const lines: string[] = [];
  const log = winston.createLogger({
    level: 'info',
    transports: [
      new winston.transports.Stream({
        stream: new Writable({ write: (c: Buffer, _e, cb) => (lines.push(c.toString('utf8')), cb()) }),
        format: winston.format.printf((i) => `${i.level} ${String(i.message)}`),
      }),
    ],
  });
  return { h: new AlertHub({ log, webhooks: new WebhookNotifier(cfg, 'run_t', {}), ...(capacity ? { capacity } : {}) }), lines };
}
const a = (ts: number, symbol: string | null, reason: 'PROTECTION_MISSING' | null = null) =>
  noticeOfWorker({
    event_id: `e${ts}`,
    ts_ms: ts,
    severity: reason ? 'CRIT' : 'INFO',
    reason_code: reason,
    source: 'engine',
    symbol,
    detail: { detail: `${symbol ?? 'x'}: something` },
  });

describe('alert hub', () => {
  it('aggregates by source + reason + symbol with count, first and last seen, newest key first', () => {
    const { h, lines } = hub();
    h.deliver(a(1000, 'BTCUSDT'));
    h.deliver(a(2000, 'ETHUSDT', 'PROTECTION_MISSING'));
    h.deliver(a(3000, 'BTCUSDT'));
    expect(h.list().map((r) => [r.key, r.count, r.first_ts_ms, r.last_ts_ms])).toEqual([
      ['engine|-|BTCUSDT', 2, 1000, 3000],
      ['engine|PROTECTION_MISSING|ETHUSDT', 1, 2000, 2000],
    ]);
    expect(h.total).toBe(3);
    // A reasonless worker alert is at least WARN; a CRIT one is logged as an error.
    expect(lines.map((l) => l.split(' ').slice(0, 3).join(' '))).toEqual(['warn ALERT [WARN]', 'error ALERT [CRIT]', 'warn ALERT [WARN]']);
  });

  it('keeps at most `capacity` keys, dropping the least recently seen', () => {
    const { h } = hub(2);
    h.deliver(a(1000, 'AAAUSDT'));
    h.deliver(a(2000, 'BBBUSDT'));
    h.deliver(a(3000, 'AAAUSDT'));
    h.deliver(a(4000, 'CCCUSDT'));
    expect(h.list().map((r) => r.symbol)).toEqual(['CCCUSDT', 'AAAUSDT']);
  });
});
