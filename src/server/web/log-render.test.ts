import { describe, expect, it } from "vitest";
import { renderLog, renderLogLine } from "./log-render.ts";

const esc = "\x1b";

describe("renderLogLine", () => {
  it("renders a plain line with its anchor", () => {
    expect(renderLogLine(3, "hello")).toEqual({
      kind: "line",
      html: '<div class="line" id="L3"><a href="#L3" class="ln">3</a><span class="lt">hello</span></div>',
    });
  });

  it("makes hostile text inert", () => {
    const { html } = renderLogLine(1, `<script>alert(1)</script> & "q" 'a'`);
    expect(html).not.toContain("<script>");
    expect(html).toContain("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;");
  });

  it("escapes hostile text inside ANSI colours too", () => {
    const { html } = renderLogLine(1, `${esc}[31m<img src=x onerror=alert(1)>${esc}[0m`);
    expect(html).toContain(
      '<span style="color:rgb(187, 0, 0)">&lt;img src=x onerror=alert(1)&gt;</span>',
    );
  });

  it("renders SGR colours and decorations", () => {
    const { html } = renderLogLine(
      2,
      `${esc}[1;32mok${esc}[0m plain ${esc}[38;5;208morange${esc}[0m ${esc}[4;44munder${esc}[0m ${esc}[38;2;10;20;30mtrue${esc}[0m`,
    );
    expect(html).toContain('<span class="ansi-bold" style="color:rgb(0, 187, 0)">ok</span>');
    expect(html).toContain(" plain ");
    expect(html).toContain('<span style="color:rgb(255, 135, 0)">orange</span>');
    expect(html).toContain(
      '<span class="ansi-underline" style="background-color:rgb(0, 0, 187)">under</span>',
    );
    expect(html).toContain('<span style="color:rgb(10, 20, 30)">true</span>');
    expect(html).not.toContain(esc);
  });

  it("drops cursor sequences and shows what follows the last carriage return", () => {
    expect(renderLogLine(1, `${esc}[2K${esc}[G 50%\r100%\r`).html).toContain(
      '<span class="lt">100%</span>',
    );
    expect(renderLogLine(1, `${esc}[2Kdone`).html).toContain('<span class="lt">done</span>');
  });

  it("classifies groups and ends of groups", () => {
    const group = renderLogLine(4, "##[group]Run <b>npm test</b>");
    expect(group.kind).toBe("group");
    expect(group.html).toContain('class="line group-title" id="L4"');
    expect(group.html).toContain("Run &lt;b&gt;npm test&lt;/b&gt;");
    expect(group.html).not.toContain("##[group]");
    const end = renderLogLine(9, "##[endgroup]");
    expect(end).toEqual({
      kind: "endgroup",
      html: '<div class="line endgroup" id="L9"><a href="#L9" class="ln">9</a><span class="lt"></span></div>',
    });
  });

  it.each([
    ["error", "log-error", "Error: "],
    ["warning", "log-warning", "Warning: "],
    ["notice", "log-notice", "Notice: "],
    ["debug", "log-debug", ""],
    ["command", "log-command", ""],
  ])("styles ##[%s] lines and drops the prefix", (command, cls, label) => {
    const { kind, html } = renderLogLine(1, `##[${command}]the message`);
    expect(kind).toBe("line");
    expect(html).toContain(`class="line ${cls}"`);
    expect(html).not.toContain("##[");
    const text = label ? `<span class="log-label">${label}</span>the message` : "the message";
    expect(html).toContain(`<span class="lt">${text}</span>`);
  });

  it("leaves unknown commands as text", () => {
    expect(renderLogLine(1, "##[section]x").html).toContain("##[section]x");
  });

  it("links http(s) URLs without trailing punctuation, and nothing else", () => {
    const { html } = renderLogLine(1, 'see https://example.com/a?b=1&c="2". javascript:alert(1)');
    expect(html).toContain(
      '<a href="https://example.com/a?b=1&amp;c=" rel="nofollow noopener noreferrer" target="_blank">https://example.com/a?b=1&amp;c=</a>&quot;2&quot;. javascript:alert(1)',
    );
    expect(html).not.toContain('href="javascript');
  });
});

describe("renderLog", () => {
  const lines = (html: string) => [...html.matchAll(/id="L(\d+)"/g)].map((m) => Number(m[1]));

  it("folds a closed group without errors and numbers every line", () => {
    const html = renderLog({
      firstLine: 1,
      lines: ["before", "##[group]Install", "a", "b", "##[endgroup]", "after"],
    });
    expect(html).toBe(
      [
        renderLogLine(1, "before").html,
        '<details class="group"><summary>',
        renderLogLine(2, "##[group]Install").html,
        "</summary>",
        renderLogLine(3, "a").html,
        renderLogLine(4, "b").html,
        renderLogLine(5, "##[endgroup]").html,
        "</details>",
        renderLogLine(6, "after").html,
      ].join(""),
    );
  });

  it("opens a group holding an error line, and its enclosing group", () => {
    const html = renderLog({
      firstLine: 1,
      lines: ["##[group]Outer", "##[group]Inner", "##[error]boom", "##[endgroup]", "##[endgroup]"],
    });
    expect(html.match(/<details class="group" open>/g)).toHaveLength(2);
    expect(html).not.toContain("data-unclosed");
  });

  it("leaves a group without an end open and marks it for the live stream", () => {
    const html = renderLog({ firstLine: 1, lines: ["##[group]Running", "x"] });
    expect(html).toContain('<details class="group" open data-unclosed><summary>');
    expect(html.endsWith("</details>")).toBe(true);
    expect(lines(html)).toEqual([1, 2]);
  });

  it("renders a stray endgroup as a hidden line that closes nothing", () => {
    const html = renderLog({
      firstLine: 10,
      lines: ["##[endgroup]", "##[group]A", "y", "##[endgroup]", "##[endgroup]", "z"],
    });
    expect(html.match(/<details/g)).toHaveLength(1);
    expect(html.match(/<\/details>/g)).toHaveLength(1);
    expect(lines(html)).toEqual([10, 11, 12, 13, 14, 15]);
    expect(html.startsWith('<div class="line endgroup" id="L10">')).toBe(true);
  });

  it("renders an empty slice as nothing", () => {
    expect(renderLog({ firstLine: 1, lines: [] })).toBe("");
  });
});
