import type { StepSpec } from "../job-spec.ts";

/**
 * The checkout that formats without an explicit one (Solstice KDL, job.sh, TS
 * pipelines) put first in every job: their seed systems always started a job
 * from the exact commit. It is the native `actions/checkout`.
 */
export function checkoutStep(): StepSpec {
  return {
    kind: "uses",
    uses: "actions/checkout@v4",
    with: {},
    id: null,
    name: "Checkout",
    if: null,
    env: {},
    continueOnError: false,
    timeoutMinutes: null,
  };
}
