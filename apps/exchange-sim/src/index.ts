export { createExchangeSim, ORDER_HISTORY_MS, type ExchangeSim, type SimOptions } from './sim.js';
export { Exchange, type ApiKey, type Order } from './exchange.js';
export { FAULT_KINDS, type FaultSpec, type FaultKind } from './faults.js';
