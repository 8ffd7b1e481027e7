/** One job's `matrix` context. */
export type MatrixCombination = Record<string, unknown>;

export type MatrixResult =
  | { ok: true; combinations: MatrixCombination[] }
  | { ok: false; error: string };

export const MAX_MATRIX_JOBS = 256;

/** Beyond this many cross-product vectors we report the raw product size instead of counting. */
const MAX_SCANNED_VECTORS = 1_000_000;

interface IncludeEntry {
  /** Keys that are matrix vectors: they select combinations and never overwrite them. */
  filter: Record<string, unknown>;
  /** Other keys: added to every selected combination (a later entry's value wins). */
  extra: Record<string, unknown>;
}

/**
 * Expands an evaluated `strategy.matrix` mapping the way GitHub's MatrixBuilder does:
 * cross product (first key varies slowest), then `exclude`, then `include`, then the
 * include entries that selected nothing appended as combinations of their own.
 */
export function expandMatrix(matrix: unknown): MatrixResult {
  if (!isMapping(matrix)) return fail("Strategy matrix must be a mapping");

  const vectors: [string, unknown[]][] = [];
  for (const [key, value] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude") continue;
    if (!Array.isArray(value)) return fail(`Matrix vector '${key}' must be a list of values`);
    if (value.length === 0) return fail(`Matrix vector '${key}' does not contain any values`);
    vectors.push([key, value]);
  }
  const vectorKeys = new Set(vectors.map(([k]) => k));

  const include = readMappings(matrix.include, "include");
  if (!include.ok) return include;
  const exclude = readMappings(matrix.exclude, "exclude");
  if (!exclude.ok) return exclude;

  const includes: IncludeEntry[] = [];
  for (const entry of include.value) {
    if (Object.keys(entry).length === 0)
      return fail("Matrix include mapping does not contain any values");
    const filter: Record<string, unknown> = {};
    const extra: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(entry)) (vectorKeys.has(k) ? filter : extra)[k] = v;
    includes.push({ filter, extra });
  }
  for (const entry of exclude.value) {
    if (Object.keys(entry).length === 0) return fail("Matrix exclude filter must not be empty");
    for (const k of Object.keys(entry)) {
      if (!vectorKeys.has(k)) {
        return fail(`Matrix exclude key '${k}' does not match any key within the matrix`);
      }
    }
  }
  if (vectors.length === 0 && includes.length === 0) {
    return fail("Matrix must define at least one vector");
  }

  const productSize = vectors.length === 0 ? 0 : vectors.reduce((n, [, v]) => n * v.length, 1);
  if (productSize > MAX_SCANNED_VECTORS) return tooMany(productSize);

  const combinations: MatrixCombination[] = [];
  const matched = new Array<boolean>(includes.length).fill(false);
  let count = 0;
  for (let index = 0; index < productSize; index++) {
    const original = vectorAt(vectors, productSize, index);
    if (exclude.value.some((f) => filterMatches(f, original))) continue;
    count++;
    if (count > MAX_MATRIX_JOBS) continue; // keep counting for the message, stop building
    let extra: Record<string, unknown> = {};
    includes.forEach((inc, i) => {
      // Filters compare against the original values only, so added values stay overwritable.
      if (!filterMatches(inc.filter, original)) return;
      matched[i] = true;
      extra = { ...extra, ...inc.extra };
    });
    combinations.push({ ...original, ...extra });
  }
  includes.forEach((inc, i) => {
    if (matched[i]) return;
    count++;
    if (count <= MAX_MATRIX_JOBS) combinations.push({ ...inc.filter, ...inc.extra });
  });

  if (count > MAX_MATRIX_JOBS) return tooMany(count);
  return { ok: true, combinations };
}

/**
 * The display-name suffix GitHub appends to a matrix job: `(ubuntu, 18)`. Values in key
 * order; objects and arrays as JSON; null and empty strings are left out, as GitHub does.
 * An empty combination gives "".
 */
export function matrixSuffix(combination: MatrixCombination): string {
  const parts: string[] = [];
  for (const value of Object.values(combination)) {
    if (value === null || value === undefined || value === "") continue;
    parts.push(typeof value === "object" ? JSON.stringify(value) : String(value));
  }
  return parts.length > 0 ? `(${parts.join(", ")})` : "";
}

/** Vector number `index` of the cross product; the first key varies slowest. */
function vectorAt(vectors: [string, unknown[]][], productSize: number, index: number) {
  const combination: MatrixCombination = {};
  let blockSize = productSize;
  for (const [key, values] of vectors) {
    blockSize /= values.length;
    combination[key] = values[Math.floor(index / blockSize) % values.length];
  }
  return combination;
}

/**
 * GitHub compiles each leaf of a filter into `matrix.<path> == <literal>` and requires all
 * to hold; so object values match partially, and `==` is the expression language's
 * (case-insensitive strings, number coercion across types).
 */
function filterMatches(filter: Record<string, unknown>, combination: MatrixCombination): boolean {
  return leaves(filter, []).every(([path, literal]) =>
    looseEquals(lookup(combination, path), literal),
  );
}

type Path = (string | number)[];

function leaves(value: unknown, path: Path): [Path, unknown][] {
  if (Array.isArray(value)) return value.flatMap((v, i) => leaves(v, [...path, i]));
  if (isMapping(value)) return Object.entries(value).flatMap(([k, v]) => leaves(v, [...path, k]));
  return [[path, value]];
}

function lookup(root: unknown, path: Path): unknown {
  let current = root;
  for (const segment of path) {
    if (typeof segment === "number" && Array.isArray(current)) current = current[segment];
    else if (typeof segment === "string" && isMapping(current) && Object.hasOwn(current, segment)) {
      current = current[segment];
    } else return null;
  }
  return current;
}

/** The Actions expression `==`. */
function looseEquals(a: unknown, b: unknown): boolean {
  const x = a === undefined ? null : a;
  const y = b === undefined ? null : b;
  const kx = kindOf(x);
  const ky = kindOf(y);
  if (kx === "object" || ky === "object") return x === y;
  if (kx !== ky) return toNumber(x) === toNumber(y);
  if (kx === "string") return (x as string).toUpperCase() === (y as string).toUpperCase();
  return x === y;
}

function kindOf(v: unknown): "null" | "boolean" | "number" | "string" | "object" {
  if (v === null) return "null";
  if (typeof v === "boolean") return "boolean";
  if (typeof v === "number") return "number";
  if (typeof v === "string") return "string";
  return "object";
}

function toNumber(v: unknown): number {
  if (v === null) return 0;
  if (typeof v === "boolean") return v ? 1 : 0;
  if (typeof v === "number") return v;
  const s = String(v).trim();
  return s === "" ? 0 : Number(s);
}

function readMappings(
  raw: unknown,
  key: "include" | "exclude",
): { ok: true; value: Record<string, unknown>[] } | { ok: false; error: string } {
  if (raw === undefined || raw === null) return { ok: true, value: [] };
  if (!Array.isArray(raw) || !raw.every(isMapping)) {
    return fail(`Matrix '${key}' must be a list of mappings`);
  }
  return { ok: true, value: raw };
}

function isMapping(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

function tooMany(n: number): MatrixResult {
  return fail(`Strategy matrix produced ${n} jobs; the limit is ${MAX_MATRIX_JOBS}`);
}

function fail(error: string): { ok: false; error: string } {
  return { ok: false, error };
}
