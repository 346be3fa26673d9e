import type { JsonObject, ReasonCode } from '@vigil/contracts';
import { parseConfig } from '@vigil/runtime';
import type { ExchangeSim } from '../../apps/exchange-sim/src/index.js';
import { createClockEstimator } from '../../packages/gateway/src/clock.js';
import { OrderDesk } from '../../packages/gateway/src/order-desk.js';
import { createRateGovernor } from '../../packages/gateway/src/rate-limits.js';
import { createRestClient } from '../../packages/gateway/src/rest-client.js';
import { signerFor } from '../../packages/gateway/src/signing.js';
import { VenueSession } from '../../packages/gateway/src/venue-session.js';
import { SIM_KEY, venueConfig } from '../integration/harness.js';

/**
 * The gateway's real REST session and order desk against a running simulator, clock synced and
 * filters loaded; `exchange` overrides the configuration's exchange section, `creds` the key (its
 * secret an HMAC secret or, with api_key_type ed25519, a private key in PEM). The caller closes
 * `rest` when done.
 */
export async function gatewayOn(
  sim: ExchangeSim,
  exchange: Record<string, unknown>,
  creds: { readonly apiKey: string; readonly secret: string } = { apiKey: SIM_KEY.apiKey, secret: SIM_KEY.secretKey },
) {
  const r = parseConfig({ ...venueConfig(sim), exchange: { ...(venueConfig(sim)['exchange'] as object), ...exchange } });
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  const ex = r.config.exchange;
  const reasons = new Map<ReasonCode, JsonObject>();
  const reason = (code: ReasonCode, on: boolean, detail: JsonObject): void => void (on ? reasons.set(code, detail) : reasons.delete(code));
  const clock = createClockEstimator({ driftMaxMs: ex.clock_drift_max_ms_live });
  const governor = createRateGovernor([]);
  // Signed as the gateway worker signs: by exchange.api_key_type.
  const signing = signerFor(ex.api_key_type, creds.secret);
  if (!signing.ok) throw new Error(signing.why);
  const rest = createRestClient({
    baseUrl: ex.rest_base_url,
    apiKey: creds.apiKey,
    signer: signing.signer,
    recvWindowMs: ex.time_sync_recv_window_ms,
    readTimeoutMs: ex.rest_timeout_ms,
    orderTimeoutMs: ex.order_timeout_ms,
    clock: { localNow: Date.now, exchangeNow: (t) => clock.exchangeNow(t) },
    governor,
    sleep: async () => {},
  });
  const session = new VenueSession({ rest, clock, governor, cfg: ex, now: Date.now, reason, event: () => {} });
  const desk = new OrderDesk({ session, now: Date.now, reason });
  const admin = async (method: string, path: string, body?: unknown) =>
    (await fetch(`${sim.admin}${path}`, { method, ...(body ? { body: JSON.stringify(body) } : {}) })).json();
  await session.syncClock(3);
  await session.refreshFilters();
  return { rest, session, desk, reasons, reason, clock, governor, admin, ex };
}
