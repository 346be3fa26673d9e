// The simulator's fixed-point decimals live in the shared matching package (its rules are written in them).
export { div, DP, floorStep, fmt, fx, max, min, mul, onStep, parseFx, SCALE, type Fx, type ParseResult } from '@vigil/matching';
