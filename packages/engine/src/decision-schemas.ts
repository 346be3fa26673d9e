import { AIGATE_RESULT_SCHEMA, DECISION_SCHEMA } from '@vigil/contracts';
import type { ValidatorSet } from '@vigil/runtime';

/** decision-build: every schema error of a decision is reported (allErrors), as always. */
export const DECISION_BUILD_SET = {
  options: { strict: false, allErrors: true },
  schemas: { decision: DECISION_SCHEMA },
} as const satisfies ValidatorSet;

/** The AI gate: its reply and the decision it reviews, first error only, as always. */
export const AIGATE_SET = {
  options: { strict: false, allErrors: false },
  schemas: { result: AIGATE_RESULT_SCHEMA, decision: DECISION_SCHEMA },
} as const satisfies ValidatorSet;
