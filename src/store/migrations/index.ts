import type { Migration } from "kysely";
import * as initial from "./0001-initial.ts";

export type Dialect = "sqlite" | "postgres";

/**
 * Every migration, in order. Append-only: a released migration is never edited; a
 * change to the schema is a new file here.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001-initial": { up: (db) => initial.up(db, dialect) },
  };
}
