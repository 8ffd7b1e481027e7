import { describe, expect, it } from "vitest";
import { resolveShell, type ShellHost, shellExtension, splitCommandLine } from "./shell.ts";

const HOST: ShellHost = { inContainer: false, bashAvailable: true };
const HOST_NO_BASH: ShellHost = { inContainer: false, bashAvailable: false };
const CONTAINER: ShellHost = { inContainer: true, bashAvailable: true };
const P = "/tmp/step 1.sh";

describe("resolveShell", () => {
  it.each<[string, string | undefined, ShellHost, ReturnType<typeof resolveShell>]>([
    [
      "default on the host",
      undefined,
      HOST,
      { program: "bash", args: ["-e", P], extension: ".sh" },
    ],
    ["default, empty string", "  ", HOST, { program: "bash", args: ["-e", P], extension: ".sh" }],
    [
      "default without bash",
      undefined,
      HOST_NO_BASH,
      { program: "sh", args: ["-e", P], extension: ".sh" },
    ],
    [
      "default in a container",
      undefined,
      CONTAINER,
      { program: "sh", args: ["-e", P], extension: ".sh" },
    ],
    [
      "bash",
      "bash",
      HOST,
      { program: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", P], extension: ".sh" },
    ],
    [
      "bash in a container",
      "bash",
      CONTAINER,
      { program: "bash", args: ["--noprofile", "--norc", "-eo", "pipefail", P], extension: ".sh" },
    ],
    ["sh", "sh", HOST, { program: "sh", args: ["-e", P], extension: ".sh" }],
    ["python", "python", HOST, { program: "python", args: [P], extension: ".py" }],
    ["pwsh", "pwsh", HOST, { program: "pwsh", args: ["-command", `. '${P}'`], extension: ".ps1" }],
    [
      "powershell",
      "powershell",
      HOST,
      { program: "powershell", args: ["-command", `. '${P}'`], extension: ".ps1" },
    ],
    [
      "cmd",
      "cmd",
      HOST,
      {
        program: "cmd",
        args: ["/D", "/E:ON", "/V:OFF", "/S", "/C", `CALL "${P}"`],
        extension: ".cmd",
      },
    ],
    ["custom", "perl {0}", HOST, { program: "perl", args: [P], extension: "" }],
    [
      "custom with flags",
      "perl -w {0} --x",
      HOST,
      { program: "perl", args: ["-w", P, "--x"], extension: "" },
    ],
    [
      "custom known interpreter keeps its extension",
      "bash -x {0}",
      HOST,
      { program: "bash", args: ["-x", P], extension: ".sh" },
    ],
    [
      "custom pwsh",
      "pwsh -File {0}",
      HOST,
      { program: "pwsh", args: ["-File", P], extension: ".ps1" },
    ],
    [
      "custom absolute program",
      "/usr/bin/env node {0}",
      HOST,
      { program: "/usr/bin/env", args: ["node", P], extension: "" },
    ],
    [
      "custom with quoted argument",
      `bash -c "source {0}"`,
      HOST,
      { program: "bash", args: ["-c", `source ${P}`], extension: ".sh" },
    ],
    [
      "custom placeholder inside a word",
      "node --script={0}",
      HOST,
      { program: "node", args: [`--script=${P}`], extension: "" },
    ],
    [
      "custom without placeholder",
      "perl",
      HOST,
      {
        error:
          "Invalid shell option. Shell path should be specified along with {0} placeholder: 'perl'",
      },
    ],
    [
      "known program with arguments but no placeholder",
      "bash -x",
      HOST,
      {
        error:
          "Invalid shell option. Shell path should be specified along with {0} placeholder: 'bash -x'",
      },
    ],
  ])("%s", (_name, shell, host, expected) => {
    expect(resolveShell(shell, P, host)).toEqual(expected);
  });

  it("doubles a quote in the script path for PowerShell", () => {
    expect(resolveShell("pwsh", "/tmp/it's.ps1", HOST)).toEqual({
      program: "pwsh",
      args: ["-command", ". '/tmp/it''s.ps1'"],
      extension: ".ps1",
    });
  });
});

describe("shellExtension", () => {
  it.each<[string | undefined, string]>([
    [undefined, ".sh"],
    ["", ".sh"],
    ["bash", ".sh"],
    ["sh", ".sh"],
    ["python", ".py"],
    ["pwsh", ".ps1"],
    ["powershell", ".ps1"],
    ["cmd", ".cmd"],
    ["perl {0}", ""],
    ["pwsh -File {0}", ".ps1"],
    ["constructor {0}", ""],
  ])("%s → %j", (shell, extension) => {
    expect(shellExtension(shell)).toBe(extension);
  });

  it("agrees with resolveShell", () => {
    for (const shell of [
      undefined,
      "bash",
      "sh",
      "python",
      "pwsh",
      "powershell",
      "cmd",
      "perl {0}",
      "bash -x {0}",
    ]) {
      const resolved = resolveShell(shell, P, HOST);
      expect("extension" in resolved && resolved.extension).toBe(shellExtension(shell));
    }
  });
});

describe("splitCommandLine", () => {
  it.each<[string, string[]]>([
    ["a b  c", ["a", "b", "c"]],
    ["  a\tb  ", ["a", "b"]],
    [`a "b c" d`, ["a", "b c", "d"]],
    [`a "" b`, ["a", "", "b"]],
    [`a"b c"d`, ["ab cd"]],
    [`"a ""quoted"" word"`, [`a "quoted" word`]],
    [`a\\b`, ["a\\b"]],
    [`a\\"b`, [`a"b`]],
    [`"a\\\\" b`, ["a\\", "b"]],
    [`'single quotes' are literal`, ["'single", "quotes'", "are", "literal"]],
  ])("%s", (line, words) => {
    expect(splitCommandLine(line)).toEqual(words);
  });
});
