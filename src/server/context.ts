import type { LogHub } from "../engine/log-hub.ts";
import type { RunManager } from "../engine/run-manager.ts";
import type { Slots } from "../engine/slots.ts";
import type { TokenScope, User } from "../store/records.ts";
import type { Store } from "../store/store.ts";
import type { RepoFiles } from "./git/repo-files.ts";
import type { SecretService } from "./secrets/secret-service.ts";
import type { Triggers } from "./triggers.ts";

/** Everything the HTTP layer works with, built once by `startServer`. */
export interface ServerContext {
  store: Store;
  repos: RepoFiles;
  manager: RunManager;
  triggers: Triggers;
  hub: LogHub;
  slots: Slots;
  secrets: SecretService;
  /** The base URL clients reach the server at (no trailing slash). */
  baseUrl(): string;
  /** Secret for CSRF tokens (random per data directory). */
  csrfSecret: Buffer;
  proxyAuth: { header: string; trusted: string[] } | null;
  /** Cookies get `Secure` when the public URL is https. */
  secureCookies: boolean;
  executorInfo: { name: string; kind: string; labels: string[]; capacity: number }[];
}

export interface Principal {
  user: User;
  scope: TokenScope;
  via: "token" | "session" | "proxy";
}

/** Hono's environment for Equinox routes. */
export interface AppEnv {
  Variables: {
    principal: Principal | null;
    /** The raw session id, when the request came with a valid session (for CSRF). */
    sessionId: string | null;
  };
}
