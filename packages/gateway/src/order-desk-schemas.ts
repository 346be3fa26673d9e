import { ORDER_STATUSES, ORDER_TYPES } from '@vigil/contracts';

/**
 * The shapes of the venue's order, list, trade and account replies, apart from the code that
 * validates with them: the build compiles them ahead of time (scripts/validators.ts, into
 * dist/validators.generated.cjs), so a gateway thread neither loads the ajv compiler nor compiles
 * a schema at start.
 */

// Bounded like the core's DecimalString (64 chars), and integers exact: a value the core cannot
// carry exactly is not an answer we understood.
const dec = { type: 'string', maxLength: 64, pattern: '^[0-9]+(\\.[0-9]+)?$' } as const;
const id = { type: 'integer', minimum: -1, maximum: Number.MAX_SAFE_INTEGER } as const;
export const ORDER_SCHEMA = {
  type: 'object',
  required: ['symbol', 'orderId', 'clientOrderId', 'status', 'type', 'side'],
  properties: {
    symbol: { type: 'string' },
    orderId: id,
    orderListId: id,
    clientOrderId: { type: 'string' },
    transactTime: id,
    updateTime: id,
    status: { enum: ORDER_STATUSES },
    type: { enum: ORDER_TYPES },
    side: { enum: ['BUY', 'SELL'] },
    price: dec,
    origQty: dec,
    executedQty: dec,
    cummulativeQuoteQty: dec,
    stopPrice: dec,
    fills: {
      type: 'array',
      items: {
        type: 'object',
        required: ['price', 'qty', 'commission', 'commissionAsset'],
        properties: { price: dec, qty: dec, commission: dec, commissionAsset: { type: 'string' }, tradeId: id },
      },
    },
  },
} as const;
export const HALF_ERROR_SCHEMA = { type: 'object', required: ['code', 'msg'], properties: { code: { type: 'integer' }, msg: { type: 'string' } } } as const;
/** Both halves of a cancel-replace: a 200 body, or the `data` of a -2021/-2022 error. */
export const REPLACE_SCHEMA = {
  type: 'object',
  required: ['cancelResult', 'newOrderResult', 'cancelResponse', 'newOrderResponse'],
  properties: {
    cancelResult: { enum: ['SUCCESS', 'FAILURE'] },
    newOrderResult: { enum: ['SUCCESS', 'FAILURE', 'NOT_ATTEMPTED'] },
    cancelResponse: { type: 'object' },
    newOrderResponse: { type: ['object', 'null'] },
  },
} as const;
export const LIST_SCHEMA = {
  type: 'object',
  required: ['orderListId', 'listClientOrderId', 'listStatusType', 'listOrderStatus', 'symbol', 'orders'],
  properties: {
    orderListId: id,
    listClientOrderId: { type: 'string' },
    contingencyType: { type: 'string' },
    listStatusType: { type: 'string' },
    listOrderStatus: { type: 'string' },
    symbol: { type: 'string' },
    orders: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['orderId', 'clientOrderId'],
        properties: { orderId: id, clientOrderId: { type: 'string' }, symbol: { type: 'string' } },
      },
    },
    orderReports: { type: 'array', items: ORDER_SCHEMA },
  },
} as const;
export const LISTS_SCHEMA = { type: 'array', items: LIST_SCHEMA } as const;
export const TRADES_SCHEMA = {
  type: 'array',
  items: {
    type: 'object',
    required: ['symbol', 'id', 'orderId', 'price', 'qty', 'commission', 'commissionAsset', 'time', 'isBuyer'],
    properties: {
      symbol: { type: 'string' },
      id,
      orderId: id,
      orderListId: id,
      price: dec,
      qty: dec,
      quoteQty: dec,
      commission: dec,
      commissionAsset: { type: 'string' },
      time: id,
      isBuyer: { type: 'boolean' },
      isMaker: { type: 'boolean' },
    },
  },
} as const;
/**
 * Someone else's open order: status and type may be values this build does not model (Binance
 * adds them without notice); everything else is held to the same shape as ours.
 */
export const FOREIGN_ORDER_SCHEMA = {
  ...ORDER_SCHEMA,
  properties: { ...ORDER_SCHEMA.properties, status: { type: 'string' }, type: { type: 'string' } },
} as const;
export const ACCOUNT_SCHEMA = {
  type: 'object',
  required: ['canTrade', 'balances'],
  properties: {
    canTrade: { type: 'boolean' },
    balances: {
      type: 'array',
      items: { type: 'object', required: ['asset', 'free', 'locked'], properties: { asset: { type: 'string' }, free: dec, locked: dec } },
    },
  },
} as const;
