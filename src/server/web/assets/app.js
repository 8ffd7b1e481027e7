// Equinox's only client script: it enhances server-rendered pages and nothing depends on it.
// - A live log panel ([data-live="1"]) streams lines from the server (SSE) into place.
// - A run page that is still going but has no live log refreshes every 3 s.
// - The line in the URL hash (#L12) is highlighted and its folded groups opened.
(() => {
  function highlightHash() {
    for (const el of document.querySelectorAll(".line.hl")) el.classList.remove("hl");
    const match = /^#L(\d+)$/.exec(location.hash);
    if (!match) return;
    const line = document.getElementById("L" + match[1]);
    if (!line) return;
    for (let p = line.parentElement; p; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
    }
    line.classList.add("hl");
    line.scrollIntoView({ block: "center" });
  }

  function atBottom() {
    const doc = document.documentElement;
    return window.innerHeight + window.scrollY >= doc.scrollHeight - 40;
  }

  function fromHtml(html) {
    const t = document.createElement("template");
    t.innerHTML = html;
    return t.content.firstElementChild;
  }

  function streamLog(panel) {
    const log = panel.querySelector(".log");
    if (!log) return;
    // Streamed lines go into the innermost group the page left open, as renderLog marks it.
    const stack = [log, ...log.querySelectorAll("details[data-unclosed]")];
    let after = Number(panel.dataset.after) || 0;

    const append = (line) => {
      if (line.n <= after || document.getElementById("L" + line.n)) return;
      after = line.n;
      const el = fromHtml(line.html);
      if (!el) return;
      const top = stack[stack.length - 1];
      if (line.kind === "group") {
        const details = document.createElement("details");
        details.className = "group";
        details.open = true;
        details.setAttribute("data-unclosed", "");
        const summary = document.createElement("summary");
        summary.appendChild(el);
        details.appendChild(summary);
        top.appendChild(details);
        stack.push(details);
      } else if (line.kind === "endgroup") {
        top.appendChild(el);
        if (stack.length > 1) {
          stack.pop().removeAttribute("data-unclosed");
        }
      } else {
        top.appendChild(el);
      }
    };

    let source = null;
    const open = () => {
      const url =
        "/runs/" +
        encodeURIComponent(panel.dataset.run) +
        "/jobs/" +
        encodeURIComponent(panel.dataset.job) +
        "/log/live?after=" +
        after;
      source = new EventSource(url);
      source.addEventListener("lines", (event) => {
        let lines;
        try {
          lines = JSON.parse(event.data);
        } catch {
          return;
        }
        if (!Array.isArray(lines) || lines.length === 0) return;
        const pinned = atBottom();
        const empty = panel.querySelector(".log-empty");
        if (empty) empty.remove();
        for (const line of lines) append(line);
        panel.dataset.after = String(after);
        if (pinned) window.scrollTo(0, document.documentElement.scrollHeight);
      });
      source.addEventListener("end", () => {
        source.close();
        location.reload();
      });
      source.addEventListener("error", () => {
        // EventSource retries by itself unless the server refused; then retry from the last line.
        if (source.readyState === EventSource.CLOSED) setTimeout(open, 3000);
      });
    };
    open();
  }

  function refreshWhileActive() {
    setInterval(() => {
      // Not while the tab is hidden or the reader is selecting text.
      if (document.hidden) return;
      const selection = window.getSelection();
      if (selection && !selection.isCollapsed) return;
      // Nor while a form is being filled in (the run list's "Run a workflow").
      const focused = document.activeElement;
      if (focused?.closest?.("form") && focused.matches("input, select, textarea")) return;
      location.reload();
    }, 3000);
  }

  function selectOnFocus() {
    for (const input of document.querySelectorAll("input.token")) {
      input.addEventListener("focus", () => input.select());
    }
  }

  function start() {
    highlightHash();
    window.addEventListener("hashchange", highlightHash);
    selectOnFocus();
    const live = document.querySelector('[data-live="1"]');
    if (live && typeof EventSource === "function") streamLog(live);
    else if (document.querySelector('[data-run-active="1"]')) refreshWhileActive();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
