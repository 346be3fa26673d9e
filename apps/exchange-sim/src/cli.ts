#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ApiKey } from './exchange.js';
import { createExchangeSim } from './sim.js';

/**
 * exchange-sim --port N --ws-port N --admin-port N --seed N --state FILE --keys FILE [--tick-ms N] [--ws-lifetime-ms N] [--symbols N] [--order-history-days N]
 * (--symbols N: exchangeInfo also lists N symbols not traded here, some with non-ASCII names, with
 * the rate-limit types, filters and fields a client does not know, as the live venue's does)
 * (--order-history-days N: final orders are forgotten N days after their last update; default 90)
 * Prints one line `EXCHANGE_SIM_READY {...}` with the bound URLs (port 0 picks free ports).
 */
const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '0' },
    'ws-port': { type: 'string', default: '0' },
    'admin-port': { type: 'string', default: '0' },
    seed: { type: 'string', default: '42' },
    state: { type: 'string' },
    keys: { type: 'string' },
    'tick-ms': { type: 'string', default: '250' },
    'ws-lifetime-ms': { type: 'string', default: String(24 * 3_600_000) },
    symbols: { type: 'string', default: '0' },
    'order-history-days': { type: 'string', default: '90' },
  },
});
if (!values.keys) {
  process.stderr.write('exchange-sim: --keys FILE is required (JSON list of {apiKey, secretKey, canTrade, enableWithdrawals, ipRestrict})\n');
  process.exit(2);
}
const keys = JSON.parse(readFileSync(values.keys, 'utf8')) as ApiKey[];
const sim = await createExchangeSim({
  port: Number(values.port),
  wsPort: Number(values['ws-port']),
  adminPort: Number(values['admin-port']),
  seed: Number(values.seed),
  keys,
  stateFile: values.state ?? null,
  tickMs: Number(values['tick-ms']),
  wsLifetimeMs: Number(values['ws-lifetime-ms']),
  extraSymbols: Number(values.symbols),
  orderHistoryMs: Number(values['order-history-days']) * 86_400_000,
});
process.stdout.write(`EXCHANGE_SIM_READY ${JSON.stringify({ rest: sim.rest, ws: sim.ws, admin: sim.admin })}\n`);
const stop = (): void => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
