import type { ValidatorSet } from '@vigil/runtime';
import { EXCHANGE_INFO_SCHEMA, SYMBOL_SCHEMA } from './exchange-info-schemas.js';
import {
  ACCOUNT_SCHEMA,
  FOREIGN_ORDER_SCHEMA,
  HALF_ERROR_SCHEMA,
  LIST_SCHEMA,
  LISTS_SCHEMA,
  ORDER_SCHEMA,
  REPLACE_SCHEMA,
  TRADES_SCHEMA,
} from './order-desk-schemas.js';

/** Every venue reply shape the gateway checks, with the ajv options it was always checked with. */
export const GATEWAY_REPLY_SET = {
  options: { allErrors: false, strict: false },
  schemas: {
    order: ORDER_SCHEMA,
    replace: REPLACE_SCHEMA,
    halfError: HALF_ERROR_SCHEMA,
    list: LIST_SCHEMA,
    lists: LISTS_SCHEMA,
    trades: TRADES_SCHEMA,
    foreignOrder: FOREIGN_ORDER_SCHEMA,
    account: ACCOUNT_SCHEMA,
    exchangeInfo: EXCHANGE_INFO_SCHEMA,
    symbol: SYMBOL_SCHEMA,
  },
} as const satisfies ValidatorSet;
