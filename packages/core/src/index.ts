export * from './mode-authority.js';
export * from './redact.js';
export * from './backoff.js';
export * from './entry-permission.js';
export * from './decimal.js';
export * from './filters.js';
export * from './stats.js';
export * from './aigate-modify.js';
