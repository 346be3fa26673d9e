import { loadPrecompiledValidators } from '@vigil/runtime';
import { AIGATE_SET, DECISION_BUILD_SET } from './decision-schemas.js';

// Compiled by the build (scripts/validators.ts) into dist/*.generated.cjs.
export const DECISION_BUILD_VALIDATORS = loadPrecompiledValidators(import.meta.url, '@vigil/engine/decision-build-validators.generated', DECISION_BUILD_SET);
export const AIGATE_VALIDATORS = loadPrecompiledValidators(import.meta.url, '@vigil/engine/aigate-validators.generated', AIGATE_SET);
