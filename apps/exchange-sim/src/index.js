export { createExchangeSim } from './sim.js';
export { Exchange } from './exchange.js';
export { FAULT_KINDS } from './faults.js';
//# sourceMappingURL=index.js.map