import { readFile } from "node:fs/promises";
import { defaultLabelConfig, type LabelConfig, parseLabelConfig } from "../engine/labels.ts";
import { UsageError } from "./usage-error.ts";

/** The label config file at `path` (none: the defaults); a bad file is a usage error naming it. */
export async function loadLabelConfig(path: string | undefined): Promise<LabelConfig> {
  if (!path) return defaultLabelConfig();
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new UsageError(`cannot read the label config ${path}: ${(err as Error).message}`);
  }
  const parsed = parseLabelConfig(text, path);
  if (!parsed.ok) throw new UsageError(parsed.error);
  return parsed.value;
}
