export { createEngine } from './engine.js';
export { AIGate, judge, type AIGateCall, type AIGateVerdict, type AIGateErrorCode, type AIGateOptions } from './aigate.js';
