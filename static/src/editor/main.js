// The config editor: turns <textarea id="config-editor"> into a CodeMirror 6 editor with JSON5
// highlighting, and marks the validator's issues on their line as you type. Without JavaScript the
// textarea still works: the form posts it and the review page lists the same issues.
// Built by `npm run build` into static/vendor/codemirror/editor.js (see README.md beside this file).
import { defaultKeymap, history, historyKeymap, indentWithTab } from "@codemirror/commands";
import { bracketMatching, foldGutter, indentOnInput, syntaxHighlighting, defaultHighlightStyle } from "@codemirror/language";
import { lintGutter, setDiagnostics } from "@codemirror/lint";
import { highlightSelectionMatches, searchKeymap } from "@codemirror/search";
import { EditorState } from "@codemirror/state";
import { EditorView, drawSelection, highlightActiveLine, highlightActiveLineGutter, keymap, lineNumbers } from "@codemirror/view";
import { json5 } from "codemirror-json5";

const DELAY_MS = 400;

function start(textarea) {
  const form = textarea.form;
  const status = document.getElementById("editor-status");
  const list = document.getElementById("editor-issues");
  const url = textarea.dataset.validateUrl;
  let timer = null;
  let sent = 0;

  const host = document.createElement("div");
  host.className = "cm-host";
  host.setAttribute("data-editor", "codemirror");
  textarea.insertAdjacentElement("afterend", host);
  textarea.hidden = true;
  // Inside a shadow root CodeMirror styles itself with adopted style sheets; on the document it
  // would add <style> elements, which the panel's Content-Security-Policy (style-src 'self') blocks.
  const shadow = host.attachShadow({ mode: "open" });

  const view = new EditorView({
    parent: shadow,
    root: shadow,
    state: EditorState.create({
      doc: textarea.value,
      extensions: [
        lineNumbers(),
        highlightActiveLineGutter(),
        foldGutter(),
        history(),
        drawSelection(),
        indentOnInput(),
        bracketMatching(),
        highlightActiveLine(),
        highlightSelectionMatches(),
        syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        json5(),
        lintGutter(),
        keymap.of([indentWithTab, ...defaultKeymap, ...historyKeymap, ...searchKeymap]),
        // tabindex: focusable for every tool, not only for browsers that count contenteditable (axe does
        // not): the scrolling region then has keyboard access.
        EditorView.contentAttributes.of({ "aria-label": "openclaw.json", spellcheck: "false", tabindex: "0" }),
        EditorView.theme({
          "&": { maxHeight: "70vh", fontSize: "13px", backgroundColor: "#fff" },
          ".cm-scroller": { overflow: "auto", fontFamily: "ui-monospace, Menlo, Consolas, monospace" },
          ".cm-content": { minHeight: "24em" },
        }),
        EditorView.updateListener.of((update) => {
          if (!update.docChanged) return;
          textarea.value = update.state.doc.toString();
          schedule();
        }),
      ],
    }),
  });

  function schedule() {
    if (timer) clearTimeout(timer);
    timer = setTimeout(validate, DELAY_MS);
    if (status) status.textContent = "Checking…";
  }

  async function validate() {
    const mine = ++sent;
    const body = new FormData();
    body.append("text", view.state.doc.toString());
    body.append("csrfmiddlewaretoken", form.querySelector("[name=csrfmiddlewaretoken]").value);
    let data;
    try {
      const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
      if (!response.ok) throw new Error("HTTP " + response.status);
      data = await response.json();
    } catch (error) {
      if (status) status.textContent = "Could not check the config (" + error.message + "); the review will.";
      return;
    }
    if (mine !== sent) return; // a newer check is on its way
    show(data.issues || []);
  }

  function show(issues) {
    const doc = view.state.doc;
    const diagnostics = issues.map((issue) => {
      const line = doc.line(Math.min(Math.max(issue.line || 1, 1), doc.lines));
      return {
        from: line.from,
        to: line.to,
        severity: "error",
        message: (issue.path && issue.path !== "<root>" ? issue.path + ": " : "") + issue.message,
      };
    });
    view.dispatch(setDiagnostics(view.state, diagnostics));
    if (status) {
      status.textContent = issues.length ? issues.length + " problem" + (issues.length > 1 ? "s" : "") : "Valid.";
      status.classList.toggle("invalid", issues.length > 0);
    }
    if (list) {
      list.replaceChildren(
        ...issues.map((issue) => {
          const item = document.createElement("li");
          item.className = "issue";
          item.dataset.line = String(issue.line);
          const where = document.createElement("span");
          where.className = "path";
          where.textContent = "line " + issue.line + ", " + issue.path;
          item.append(where, ": " + issue.message);
          return item;
        })
      );
    }
  }

  validate();
  window.configEditor = view; // for the browser tests and the curious
}

document.addEventListener("DOMContentLoaded", () => {
  const textarea = document.getElementById("config-editor");
  if (textarea) start(textarea);
});
