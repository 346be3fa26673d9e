export { startReviewer, RECEIVED_KEPT, type Reviewer, type ReviewerOptions } from './server.js';
export { review, halve, REVIEW_RULES } from './rules.js';
export { FAULT_MODES, type FaultMode } from './faults.js';
