import { loadPrecompiledValidators } from '@vigil/runtime';
import { GATEWAY_REPLY_SET } from './reply-schemas.js';

/** Compiled by the build (scripts/validators.ts) into dist/reply-validators.generated.cjs. */
export const GATEWAY_VALIDATORS = loadPrecompiledValidators(import.meta.url, '@vigil/gateway/reply-validators.generated', GATEWAY_REPLY_SET);
