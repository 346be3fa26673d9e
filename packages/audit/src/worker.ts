import { runWorker } from '@vigil/runtime';
import { createAuditWorker } from './audit-worker.js';

runWorker('audit', createAuditWorker);
