import { runWorker } from '@vigil/runtime';
import { createGateway } from './gateway.js';

runWorker('gateway', createGateway);
