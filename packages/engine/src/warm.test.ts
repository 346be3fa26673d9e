import { describe, expect, it } from 'vitest';
import type { SymbolRules } from '@vigil/contracts';
import { BTCUSDT_PRICE_LOT_RULES } from '@vigil/core';
import { parseConfig } from '@vigil/runtime';
import { ChurnCounter } from './churn.js';
import { warmEntryPath, type WarmInputs } from './warm.js';

const rules = BTCUSDT_PRICE_LOT_RULES;

const inputs = (over: Partial<WarmInputs> = {}): WarmInputs => {
  const r = parseConfig({}, {});
  if (!r.ok) throw new Error(JSON.stringify(r.error));
  return {
    strategy: r.config.strategy,
    risk: r.config.risk,
    churn: new ChurnCounter(() => 1_000_000),
    run_id: 'run_warm',
    symbol: 'BTCUSDT',
    bid: '64000.00',
    ask: '64000.10',
    rules,
    ...over,
  };
};

describe('entry path dry run', () => {
  it('builds a decision from the current quote and counts nothing toward churn (nothing is placed)', () => {
    const i = inputs();
    expect(warmEntryPath(i)).toBe(true);
    expect(i.churn.count('BTCUSDT', 60_000)).toEqual({ churn: 0, replace: 0 });
  });

  it('stops without throwing where a real entry would be refused (a lot size the notional cannot reach)', () => {
    const coarse: SymbolRules = {
      ...rules,
      filters: { ...rules.filters, LOT_SIZE: { filterType: 'LOT_SIZE', minQty: '100', maxQty: '9000', stepSize: '100' } },
    };
    expect(warmEntryPath(inputs({ rules: coarse }))).toBe(false);
  });
});
