import type { Migration } from "kysely";
import * as initial from "./0001-initial.ts";
import * as sessionScope from "./0002-session-scope.ts";

export type Dialect = "sqlite" | "postgres";

/**
 * Every migration, in order. Append-only: a released migration is never edited; a
 * change to the schema is a new file here.
 */
export function migrations(dialect: Dialect): Record<string, Migration> {
  return {
    "0001-initial": { up: (db) => initial.up(db, dialect) },
    "0002-session-scope": { up: (db) => sessionScope.up(db) },
  };
}
