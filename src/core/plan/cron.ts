import { Cron } from "croner";

/**
 * `on.schedule` cron expressions as Actions reads them: five fields (minute hour
 * day-of-month month day-of-week), always UTC, with `*`, numbers, `JAN`–`DEC` and
 * `SUN`–`SAT` names, ranges, lists and steps. Validation mirrors the Actions workflow
 * parser's (no seconds or years, no nicknames, day-of-week 0–6, no `L`/`W`/`#`/`?`),
 * so a schedule accepted here is one Actions accepts; croner then does the date
 * arithmetic on a normalised numeric pattern.
 *
 * Day-of-month and day-of-week combine as in POSIX cron: when both are restricted a
 * day matching either fires (`0 0 1 * MON` = the 1st and every Monday); a field that
 * is exactly `*` is unrestricted. croner's default (`domAndDow: false`) is this, and it
 * is passed explicitly so a change of default cannot alter schedules. Unlike Vixie
 * cron, a stepped star (every second day) counts as restricted, which is what POSIX's
 * wording ("specified as an element or list") implies.
 */
export interface CronSchedule {
  /** As written in the workflow. */
  expression: string;
  /** The same schedule with names resolved and `N/s` spelled `N-max/s`, as croner reads it. */
  pattern: string;
}

export type CronParse = { ok: true; cron: CronSchedule } | { ok: false; error: string };

interface Field {
  name: string;
  min: number;
  max: number;
  names?: Record<string, number>;
}

const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

const FIELDS: Field[] = [
  { name: "minute", min: 0, max: 59 },
  { name: "hour", min: 0, max: 23 },
  { name: "day-of-month", min: 1, max: 31 },
  {
    name: "month",
    min: 1,
    max: 12,
    names: Object.fromEntries(MONTHS.map((m, i) => [m, i + 1])),
  },
  { name: "day-of-week", min: 0, max: 6, names: Object.fromEntries(DAYS.map((d, i) => [d, i])) },
];

const NICKNAMES: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

const SHAPE = "minute hour day-of-month month day-of-week";

export function parseCron(expression: string): CronParse {
  const fail = (problem: string): CronParse => ({
    ok: false,
    error: `cron '${expression}': ${problem}`,
  });
  const text = expression.trim();
  if (text.startsWith("@")) {
    const equivalent = NICKNAMES[text.toLowerCase()];
    return fail(
      `nicknames are not supported in on.schedule (Actions rejects them); write the 5 fields (${SHAPE})` +
        (equivalent ? `, here '${equivalent}'` : ""),
    );
  }
  const parts = text === "" ? [] : text.split(/\s+/);
  if (parts.length !== 5) {
    const extra = parts.length > 5 ? " — seconds and year fields are not supported" : "";
    return fail(`has ${parts.length} fields; on.schedule takes 5 (${SHAPE})${extra}`);
  }
  const normalised: string[] = [];
  for (const [i, field] of FIELDS.entries()) {
    const value = parts[i]!;
    const r = normaliseField(field, value);
    if (!r.ok) return fail(`${field.name} '${value}': ${r.error}`);
    normalised.push(r.value);
  }
  const pattern = normalised.join(" ");
  try {
    toCroner(pattern);
  } catch (e) {
    // Validation above should leave nothing for croner to reject; keep its word if it does.
    return fail((e as Error).message);
  }
  return { ok: true, cron: { expression, pattern } };
}

/**
 * The times the schedule fires in (afterMs, untilMs], ascending, at most `max` of them.
 * A string is parsed first and throws when it does not parse: callers that hold user
 * input call `parseCron` and report its error.
 */
export function cronFiresBetween(
  cron: CronSchedule | string,
  afterMs: number,
  untilMs: number,
  max = 1000,
): number[] {
  const c = toCroner(resolve(cron).pattern);
  const fires: number[] = [];
  let from = afterMs;
  while (fires.length < max) {
    const next = c.nextRun(new Date(from))?.getTime();
    if (next === undefined || next > untilMs) break;
    fires.push(next);
    from = next;
  }
  return fires;
}

/** The first time the schedule fires after `afterMs`; null when it never does (`0 0 30 2 *`). */
export function nextCronFire(cron: CronSchedule | string, afterMs: number): number | null {
  return toCroner(resolve(cron).pattern).nextRun(new Date(afterMs))?.getTime() ?? null;
}

function resolve(cron: CronSchedule | string): CronSchedule {
  if (typeof cron !== "string") return cron;
  const parsed = parseCron(cron);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.cron;
}

function toCroner(pattern: string): Cron {
  // paused and without a callback: a calculator, never a timer.
  return new Cron(pattern, { paused: true, mode: "5-part", utcOffset: 0, domAndDow: false });
}

type FieldResult = { ok: true; value: string } | { ok: false; error: string };

function normaliseField(field: Field, value: string): FieldResult {
  const items = value.split(",");
  const out: string[] = [];
  for (const item of items) {
    if (item === "") return { ok: false, error: "empty list item" };
    const r = normaliseItem(field, item);
    if (!r.ok) return items.length > 1 ? { ok: false, error: `'${item}': ${r.error}` } : r;
    out.push(r.value);
  }
  return { ok: true, value: out.join(",") };
}

function normaliseItem(field: Field, item: string): FieldResult {
  const slash = item.split("/");
  if (slash.length > 2) return { ok: false, error: "more than one '/'" };
  const [base, stepText] = slash as [string, string | undefined];
  let step: number | null = null;
  if (stepText !== undefined) {
    if (!/^\d+$/.test(stepText)) return { ok: false, error: `step '${stepText}' is not a number` };
    step = Number(stepText);
    if (step < 1 || step > field.max) {
      return { ok: false, error: `step ${step} is out of range 1-${field.max}` };
    }
  }
  let range: string;
  if (base === "*") {
    range = "*";
  } else {
    const ends = base.split("-");
    if (ends.length > 2 || ends.some((e) => e === "")) {
      return { ok: false, error: `'${base}' is not a value or a range` };
    }
    const nums: number[] = [];
    for (const end of ends) {
      const n = value(field, end);
      if (typeof n === "string") return { ok: false, error: n };
      nums.push(n);
    }
    const [from, to] = nums as [number, number | undefined];
    if (to !== undefined && to < from) {
      return { ok: false, error: `range ${base} runs backwards` };
    }
    // `5/15` (from 5, every 15) is accepted by Actions but not by croner: spell out the range.
    range = to !== undefined ? `${from}-${to}` : step !== null ? `${from}-${field.max}` : `${from}`;
  }
  return { ok: true, value: step !== null ? `${range}/${step}` : range };
}

function value(field: Field, text: string): number | string {
  const named = field.names?.[text.toUpperCase()];
  if (named !== undefined) return named;
  if (!/^\d+$/.test(text)) {
    const names = field.names ? ` or a name (${Object.keys(field.names).join(", ")})` : "";
    return `'${text}' is not a number${names}`;
  }
  const n = Number(text);
  if (n < field.min || n > field.max) {
    const hint = field.name === "day-of-week" ? "; Sunday is 0" : "";
    return `${n} is out of range ${field.min}-${field.max}${hint}`;
  }
  return n;
}
