import { runWorker } from '@vigil/runtime';
import { createEngine } from './engine.js';

runWorker('engine', createEngine);
