import type { EndReason } from "../../store/records.ts";

const texts: Record<EndReason, string> = {
  pipeline: "the workflow did not parse or plan",
  internal: "an internal error",
  orphaned: "the server stopped while it ran",
  timeout: "timed out",
  superseded: "superseded by a newer push",
  user: "cancelled by a user",
};

/** Why a run or job ended as it did, in words. */
export function reasonText(reason: EndReason): string {
  return texts[reason];
}
