import type { Child } from "hono/jsx";

/** The hidden field the server's CSRF check reads. */
export function CsrfField({ csrf }: { csrf: string }) {
  return <input type="hidden" name="_csrf" value={csrf} />;
}

/** A POST form that always carries the CSRF field, so no page can forget it. */
export function PostForm({
  action,
  csrf,
  class: className,
  children,
}: {
  action: string;
  csrf: string;
  class?: string;
  children?: Child;
}) {
  return (
    <form method="post" action={action} class={className}>
      <CsrfField csrf={csrf} />
      {children}
    </form>
  );
}

/** A one-button POST form (cancel, re-run, delete). */
export function ButtonForm({
  action,
  csrf,
  label,
  fields = {},
  danger = false,
}: {
  action: string;
  csrf: string;
  label: string;
  fields?: Record<string, string>;
  danger?: boolean;
}) {
  return (
    <PostForm action={action} csrf={csrf} class="inline">
      {Object.entries(fields).map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <button type="submit" class={danger ? "danger" : undefined}>
        {label}
      </button>
    </PostForm>
  );
}
