import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SPOT_REST_API_TESTNET_URL, SPOT_WS_API_TESTNET_URL, SPOT_WS_STREAMS_TESTNET_URL } from '@binance/spot';
import { describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../packages/runtime/src/index.js';

/**
 * config/testnet.json: the Spot testnet profile. It must load and validate against the config
 * schema as it is, and its URLs must be the testnet's (the same hosts Binance's own connector
 * names), in the form the gateway expects: REST without /api (it appends /api/v3/...), market
 * streams without /ws (it appends /stream?streams=...), the WebSocket API in full.
 */
const preset = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'config', 'testnet.json');

describe('testnet preset config/testnet.json', () => {
  it('loads and validates against the config schema (defaults filled in)', () => {
    const r = loadConfigFile(preset, {});
    expect(r.ok, r.ok ? '' : JSON.stringify(r.error)).toBe(true);
    if (!r.ok) return;
    expect(r.config.mode).toBe('LIVE');
    expect(r.config.ai_dec).toBe(2);
    expect(r.config.exchange.symbols).toEqual(['BTCUSDT', 'ETHUSDT', 'BNBUSDT']);
    // Its own var dir: a testnet run never shares the real run's LIVE.ok, secrets or audit database.
    expect(r.config.paths.var_dir).toBe('var/testnet');
  });

  it('points at the Spot testnet: REST, market streams and WebSocket API (as @binance/spot names them)', () => {
    const r = loadConfigFile(preset, {});
    if (!r.ok) throw new Error(r.error.message);
    expect(r.config.exchange.rest_base_url).toBe('https://testnet.binance.vision');
    expect(r.config.exchange.rest_base_url).toBe(SPOT_REST_API_TESTNET_URL);
    expect(r.config.exchange.ws_market_url).toBe('wss://stream.testnet.binance.vision');
    expect(r.config.exchange.ws_market_url).toBe(SPOT_WS_STREAMS_TESTNET_URL);
    expect(r.config.exchange.ws_api_url).toBe('wss://ws-api.testnet.binance.vision/ws-api/v3');
    expect(r.config.exchange.ws_api_url).toBe(SPOT_WS_API_TESTNET_URL);
  });

  it('holds no secret (keys come from the environment or var/testnet/secrets.json)', () => {
    const r = loadConfigFile(preset, {});
    expect(r.ok).toBe(true);
    expect(JSON.stringify(r.ok ? r.config : {})).not.toMatch(/"api_key"|"api_secret"|apiKey|secret"/i);
  });
});
