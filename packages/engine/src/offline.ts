/**
 * Live's decision code for offline runs (`supervisor experiments`): the strategy, the cost model,
 * the decision builder, the risk verdict with its churn counter, and the lifecycle step's
 * configuration, exactly the modules the engine runs. Nothing here is a copy.
 */
export { breakoutStrategy, type MarketSnapshot, type Proposal, type ProposeResult, type Strategy } from './strategy.js';
export type { Bar } from './bars.js';
export { estimateCost, judgeCost, type CostEstimate, type CostVerdict } from './cost-model.js';
export { buildDecision, type BuildInput, type BuildResult } from './decision-build.js';
export { riskVerdict, type RiskInputs, type RiskVerdict } from './risk.js';
export { ChurnCounter, type ChurnKind } from './churn.js';
export { lifecycleConfig } from './lifecycle-config.js';
