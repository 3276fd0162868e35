// qsm's code editor for Streamlit (st.components.v2): a plain <textarea> with line numbers that sends its
// text to Python a moment after the last keystroke (no blur, no Ctrl+Enter needed) and shows the
// problems Python found at their lines: the line tinted, its number marked, the message after the line.
//
// Streamlit calls the default export again whenever the data from Python changes (every rerun that
// checked a new text); the editor is built once per mount and only updated after that, so the caret,
// the selection and the focus survive the reruns that typing causes. Python's text replaces what is in
// the box only when its `revision` changes (another workflow opened, a save rewrote the spec).
//
// data: {text, revision, marks: [{line, column, message}], label, height, debounce_ms, help}
// state sent to Python: "text" (the box's whole text).

const LINE_HEIGHT = 21; // px, the same in the box, the gutter and the marks (see code_editor.css)
const PAD_TOP = 8;

function build(root) {
  const wrap = document.createElement("div");
  wrap.className = "qe";
  wrap.innerHTML = `
    <label class="qe-label"></label>
    <div class="qe-box">
      <div class="qe-gutter" aria-hidden="true"><div class="qe-gutter-inner"><pre class="qe-numbers"></pre><div class="qe-dots"></div></div></div>
      <div class="qe-main">
        <div class="qe-backdrop" aria-hidden="true"><div class="qe-backdrop-inner"></div></div>
        <textarea class="qe-text" spellcheck="false" autocapitalize="off" autocomplete="off" wrap="off"></textarea>
      </div>
    </div>
    <div class="qe-status" role="status" aria-live="polite"></div>`;
  root.appendChild(wrap);
  return {
    wrap,
    label: wrap.querySelector(".qe-label"),
    box: wrap.querySelector(".qe-box"),
    text: wrap.querySelector(".qe-text"),
    numbers: wrap.querySelector(".qe-numbers"),
    dots: wrap.querySelector(".qe-dots"),
    gutterInner: wrap.querySelector(".qe-gutter-inner"),
    backdropInner: wrap.querySelector(".qe-backdrop-inner"),
    status: wrap.querySelector(".qe-status"),
    revision: null,
    checked: null, // the text Python checked last (its marks are for that text)
    sent: null, // the text last sent to Python
    marks: [],
    timer: null,
    lineCount: 0,
    send: null,
    debounce: 400,
  };
}

function renderNumbers(ed) {
  const count = ed.text.value.split("\n").length;
  if (count === ed.lineCount) return;
  ed.lineCount = count;
  const out = [];
  for (let i = 1; i <= count; i++) out.push(String(i));
  ed.numbers.textContent = out.join("\n");
}

function renderMarks(ed) {
  const lines = ed.text.value.split("\n");
  const byLine = new Map();
  for (const mark of ed.marks) {
    if (typeof mark.line !== "number" || mark.line < 1) continue;
    if (!byLine.has(mark.line)) byLine.set(mark.line, []);
    byLine.get(mark.line).push(mark.message);
  }
  ed.backdropInner.replaceChildren();
  ed.dots.replaceChildren();
  for (const [line, messages] of byLine) {
    const top = `${PAD_TOP + (line - 1) * LINE_HEIGHT}px`;
    const row = document.createElement("div");
    row.className = "qe-line qe-error";
    row.dataset.line = String(line);
    row.style.top = top;
    const ghost = document.createElement("span");
    ghost.className = "qe-ghost";
    ghost.textContent = line <= lines.length ? lines[line - 1] : "";
    const note = document.createElement("span");
    note.className = "qe-note";
    note.textContent = `   ✗ ${messages.join(" · ")}`;
    row.append(ghost, note);
    ed.backdropInner.appendChild(row);
    const dot = document.createElement("div");
    dot.className = "qe-dot";
    dot.dataset.line = String(line);
    dot.style.top = top;
    dot.title = `Line ${line}: ${messages.join("\n")}`;
    dot.textContent = String(line);
    ed.dots.appendChild(dot);
  }
  ed.box.classList.toggle("qe-has-errors", ed.marks.length > 0);
}

function renderStatus(ed) {
  const current = ed.text.value === ed.checked;
  ed.status.classList.toggle("qe-pending", !current);
  ed.status.classList.toggle("qe-bad", current && ed.marks.length > 0);
  ed.status.classList.toggle("qe-good", current && ed.marks.length === 0);
  if (!current) {
    ed.status.textContent = "Checking…";
  } else if (ed.marks.length === 0) {
    ed.status.textContent = "✓ No problems";
  } else {
    const first = ed.marks[0];
    const where = typeof first.line === "number" ? `line ${first.line}: ` : "";
    const more = ed.marks.length > 1 ? ` (and ${ed.marks.length - 1} more)` : "";
    ed.status.textContent = `✗ ${ed.marks.length} problem(s): ${where}${first.message}${more}`;
  }
}

function sync(ed) {
  const { scrollTop, scrollLeft } = ed.text;
  ed.gutterInner.style.transform = `translateY(${-scrollTop}px)`;
  ed.backdropInner.style.transform = `translate(${-scrollLeft}px, ${-scrollTop}px)`;
}

function flush(ed) {
  if (ed.timer !== null) {
    clearTimeout(ed.timer);
    ed.timer = null;
  }
  const value = ed.text.value;
  if (value !== ed.sent && ed.send) {
    ed.sent = value;
    ed.send(value);
  }
}

function wire(ed) {
  ed.text.addEventListener("input", () => {
    renderNumbers(ed);
    renderMarks(ed);
    renderStatus(ed);
    if (ed.timer !== null) clearTimeout(ed.timer);
    ed.timer = setTimeout(() => flush(ed), ed.debounce);
  });
  ed.text.addEventListener("scroll", () => sync(ed));
  ed.text.addEventListener("blur", () => flush(ed));
  ed.text.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      flush(ed);
    } else if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
      // YAML indents with spaces; Esc, then Tab, leaves the box
      if (ed.escaped) return;
      event.preventDefault();
      document.execCommand("insertText", false, "  ");
    }
    ed.escaped = event.key === "Escape";
  });
}

export default function (component) {
  const { data, parentElement, setStateValue } = component;
  let ed = parentElement.__qsmEditor;
  if (!ed) {
    ed = build(parentElement.querySelector(".qe-root") || parentElement);
    parentElement.__qsmEditor = ed;
    wire(ed);
  }
  ed.send = (value) => setStateValue("text", value);
  ed.debounce = typeof data.debounce_ms === "number" ? data.debounce_ms : 400;
  ed.label.textContent = data.label || "";
  ed.label.title = data.help || "";
  ed.box.style.height = `${data.height || 360}px`;
  ed.text.setAttribute("aria-label", data.label || "code");
  if (data.revision !== ed.revision) {
    // Python replaced the text (first mount, another workflow opened, a save): show it as is
    if (ed.timer !== null) clearTimeout(ed.timer);
    ed.timer = null;
    ed.revision = data.revision;
    ed.text.value = data.text;
    ed.sent = data.text;
    ed.text.scrollTop = 0;
  }
  ed.checked = data.text;
  ed.marks = Array.isArray(data.marks) ? data.marks : [];
  renderNumbers(ed);
  renderMarks(ed);
  renderStatus(ed);
  sync(ed);
  return () => {
    if (ed.timer !== null) clearTimeout(ed.timer);
    ed.timer = null;
  };
}
