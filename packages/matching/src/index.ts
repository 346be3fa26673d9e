export * from './fx.js';
export * from './rules.js';
export * from './bars.js';
