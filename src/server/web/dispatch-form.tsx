import type { DispatchInput } from "../../core/workflow/model.ts";
import { repoPath } from "./format.ts";
import { PostForm } from "./forms.tsx";

export interface DispatchableInput extends DispatchInput {
  name: string;
}

export interface Dispatchable {
  /** The workflow file, relative to the repository root. */
  file: string;
  name: string;
  inputs: DispatchableInput[];
}

/**
 * "Run workflow" for one `workflow_dispatch` workflow: posts `workflow`, `ref` and
 * `input.<name>` fields to `/repos/<repo>/dispatch`. A boolean input sends a hidden
 * `false` before its checkbox's `true`, so an unchecked box still says something; the
 * handler must take the last value of a repeated field (Hono's `parseBody()` does).
 */
export function DispatchForm({
  repo,
  workflow,
  csrf,
}: {
  repo: string;
  workflow: Dispatchable;
  csrf: string;
}) {
  return (
    <details class="dispatch">
      <summary>
        Run <strong>{workflow.name}</strong> <span class="muted">({workflow.file})</span>
      </summary>
      <PostForm action={`${repoPath(repo)}/dispatch`} csrf={csrf} class="stack">
        <input type="hidden" name="workflow" value={workflow.file} />
        <label>
          Ref
          <input name="ref" placeholder="default branch" />
        </label>
        {workflow.inputs.map((input) => (
          <InputField input={input} />
        ))}
        <button type="submit">Run workflow</button>
      </PostForm>
    </details>
  );
}

function InputField({ input }: { input: DispatchableInput }) {
  const name = `input.${input.name}`;
  const hint = input.description ? <span class="hint">{input.description}</span> : null;
  const required = input.required === true;
  const fallback = input.default === undefined ? "" : String(input.default);
  if (input.type === "boolean") {
    return (
      <label class="check">
        <input type="hidden" name={name} value="false" />
        <input type="checkbox" name={name} value="true" checked={fallback === "true"} />{" "}
        {input.name}
        {hint}
      </label>
    );
  }
  if (input.type === "choice") {
    const options = input.options ?? [];
    return (
      <label>
        {input.name}
        {hint}
        <select name={name} required={required}>
          {!required && <option value="">—</option>}
          {options.map((option) => (
            <option value={option} selected={option === fallback}>
              {option}
            </option>
          ))}
        </select>
      </label>
    );
  }
  return (
    <label>
      {input.name}
      {hint}
      <input
        name={name}
        value={fallback}
        required={required}
        inputmode={input.type === "number" ? "decimal" : undefined}
      />
    </label>
  );
}
