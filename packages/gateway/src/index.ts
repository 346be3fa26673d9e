export { createGateway } from './gateway.js';
export * from './outcome.js';
export * from './signing.js';
export * from './rate-limits.js';
export * from './clock.js';
export * from './rest-client.js';
export * from './exchange-info.js';
export * from './venue-session.js';
export * from './order-desk.js';
