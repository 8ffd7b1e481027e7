import type { StepSpec } from "../job-spec.ts";

/** The fields of a step that asks for nothing beyond what it runs: no id, condition or env. */
export function plainStep() {
  return {
    id: null,
    name: null,
    if: null,
    env: {},
    continueOnError: false,
    timeoutMinutes: null,
  };
}

/**
 * The checkout that formats without an explicit one (Solstice KDL, job.sh, TS
 * pipelines) put first in every job: their seed systems always started a job
 * from the exact commit. It is the native `actions/checkout`.
 */
export function checkoutStep(): StepSpec {
  return { ...plainStep(), kind: "uses", uses: "actions/checkout@v4", with: {}, name: "Checkout" };
}
