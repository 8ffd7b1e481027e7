import type { SecretEntry } from "../../store/records.ts";
import type { Store } from "../../store/store.ts";
import { decryptSecret, encryptSecret, secretAad } from "./cipher.ts";
import { readSecretValue, type SecretsFileEntry } from "./secrets-file.ts";

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const MAX_SECRET_BYTES = 64 * 1024;

/** A secret's name is checked the same way everywhere (API, web, CLI). */
export function secretNameError(name: string): string | null {
  if (!NAME.test(name))
    return `secret name '${name}': use letters, digits and _, not starting with a digit`;
  if (name.toUpperCase().startsWith("GITHUB_"))
    return `secret name '${name}': names starting with GITHUB_ are reserved`;
  return null;
}

/**
 * Secrets at rest are AES-256-GCM ciphertext under the data directory's key, bound to
 * their scope and name. A job gets, in increasing precedence: the secrets file
 * (`--secrets-file`, Quire's `{file: path}` form, read when the job starts), global
 * secrets, then its repository's own.
 */
export class SecretService {
  constructor(
    private readonly store: Store,
    private readonly key: Buffer,
    private readonly file: Map<string, SecretsFileEntry> = new Map(),
  ) {}

  async set(repo: string | null, name: string, value: string): Promise<void> {
    await this.store.setSecret(repo, name, encryptSecret(this.key, value, secretAad(repo, name)));
  }

  delete(repo: string | null, name: string): Promise<boolean> {
    return this.store.deleteSecret(repo, name);
  }

  list(repo: string | null): Promise<SecretEntry[]> {
    return this.store.listSecrets(repo);
  }

  async secretsFor(
    repo: string,
  ): Promise<{ ok: true; value: Record<string, string> } | { ok: false; error: string }> {
    const value: Record<string, string> = {};
    for (const [name, entry] of this.file) {
      const read = await readSecretValue(entry);
      if (!read.ok) return { ok: false, error: `secret ${name}: ${read.error}` };
      value[name] = read.value;
    }
    for (const secret of await this.store.secretsFor(repo)) {
      const plain = decryptSecret(this.key, secret.ciphertext, secretAad(secret.repo, secret.name));
      if (!plain.ok)
        return {
          ok: false,
          error: `secret ${secret.name} cannot be decrypted (${plain.error}); was the data directory's secret.key replaced? Set the secret again.`,
        };
      value[secret.name] = plain.value;
    }
    return { ok: true, value };
  }
}
