import { docker } from "./cli.ts";

/** Images known to be present, so each is looked up once per process. */
const present = new Set<string>();

/**
 * Makes sure `image` is here: pulled when missing (after `docker login` to its
 * registry when credentials are given). The error says which image and why.
 */
export async function ensureImage(
  image: string,
  credentials: { username: string; password: string } | null,
): Promise<void> {
  if (present.has(image)) return;
  if ((await docker(["image", "inspect", "--format", "{{.Id}}", image])).code === 0) {
    present.add(image);
    return;
  }
  if (credentials) {
    const registry = registryOf(image);
    const login = await docker(
      [
        "login",
        "--username",
        credentials.username,
        "--password-stdin",
        ...(registry ? [registry] : []),
      ],
      credentials.password,
    );
    if (login.code !== 0)
      throw new Error(`cannot log in to the registry of ${image}: ${login.stderr.trim()}`);
  }
  const pull = await docker(["pull", "--quiet", image]);
  if (pull.code !== 0)
    throw new Error(
      `image ${image} is not on this machine and could not be pulled: ${pull.stderr.trim() || `exit code ${pull.code}`}`,
    );
  present.add(image);
}

/** The registry host an image reference names, or null for the engine's default registry. */
function registryOf(image: string): string | null {
  const first = image.split("/")[0]!;
  return image.includes("/") &&
    (first.includes(".") || first.includes(":") || first === "localhost")
    ? first
    : null;
}
