// scent's web UI: plain DOM, no build step, no CDN. Everything from the corpus is set with textContent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("scent-token") || "";
  let running = null; // {id, controller, index}
  let indexes = [];   // the served indexes, from /api/indexes (the first is the server's default)
  let shown = null;   // the answer on screen: {index, runId, answer}; its citations open in ITS index
  let doc = null;     // the document on screen: {index, passages, at}

  const hash = new URLSearchParams(location.hash.slice(1));
  if (hash.get("token")) {
    token = hash.get("token");
    sessionStorage.setItem("scent-token", token);
    history.replaceState(null, "", location.pathname);
  }

  function el(tag, text, cls) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = String(text);
    if (cls) node.className = cls;
    return node;
  }

  function showError(message) {
    $("error").textContent = message;
    $("error").hidden = !message;
  }

  async function api(path, options = {}) {
    const response = await fetch(path, {...options, headers: {...(options.headers || {}),
      "Authorization": "Bearer " + token}});
    if (response.status === 401) { $("token-form").hidden = false; throw new Error("token needed"); }
    if (!response.ok) {
      let message = response.statusText;
      try { message = (await response.json()).error || message; } catch (e) { /* not JSON */ }
      throw new Error(`${response.status}: ${message}`);
    }
    return response;
  }

  const current = () => $("index").value || (indexes[0] || {}).name || "";
  const withIndex = (path, index) => path + (path.includes("?") ? "&" : "?") + "index=" +
    encodeURIComponent(index === undefined ? current() : index);

  function showStats() {
    const index = indexes.find((i) => i.name === current());
    if (index) $("stats").textContent = `${index.documents} documents, ${index.passages} passages, ` +
      `retriever ${index.retriever}`;
    $("history-index").textContent = current() ? `(${current()})` : "";
  }

  async function loadStats() {
    try {
      indexes = await (await api("/api/indexes")).json();
      const select = $("index");
      const chosen = select.value;
      select.replaceChildren(...indexes.map((i) => { const o = el("option", i.name); o.value = i.name; return o; }));
      if (indexes.some((i) => i.name === chosen)) select.value = chosen;
      select.hidden = indexes.length < 2;
      $("index-name").textContent = indexes.length < 2 ? current() : "";
      showStats();
      $("token-form").hidden = true;
      showError("");
      loadHistory();
      loadEvals();
    } catch (e) { showError(e.message); }
  }

  function clearRun() { // what belongs to one index and run leaves with it
    shown = null;
    for (const id of ["steps", "trace", "citations", "closest", "hits", "report"]) $(id).replaceChildren();
    $("answer").hidden = true; $("report").hidden = true; $("export").hidden = true;
    clearDocument();
  }
  function clearDocument() {
    doc = null;
    $("doc").replaceChildren(); $("doc-title").textContent = "Document"; $("doc-path").textContent = "";
    $("doc-where").textContent = ""; $("doc-tools").hidden = true;
    document.dispatchEvent(new Event("scent:cleared"));
  }
  $("index").addEventListener("change", () => {
    showStats(); clearRun(); $("history").replaceChildren(); loadHistory();
    if (!$("pane-library").hidden) loadLibrary();
  });

  // -- tabs ------------------------------------------------------------------------------------------------
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => {
      for (const t of document.querySelectorAll(".tab")) t.setAttribute("aria-pressed", String(t === tab));
      for (const pane of document.querySelectorAll(".pane")) pane.hidden = pane.id !== "pane-" + tab.dataset.tab;
      if (tab.dataset.tab === "library") { loadLibrary(); document.dispatchEvent(new Event("scent:library")); }
    });
  }

  // -- documents: the passage, and in it the quoted sentence, marked and scrolled into view ----------------
  const squash = (s) => s.replace(/\s+/g, " ").toLowerCase();

  function markQuote(node, text, quote) {
    // the quote's place in the text, whitespace- and case-insensitively; the text around it stays plain text
    node.replaceChildren();
    const flat = [], map = [];
    for (let i = 0; i < text.length; i++) {
      if (/\s/.test(text[i]) && flat.length && flat[flat.length - 1] === " ") continue;
      flat.push(/\s/.test(text[i]) ? " " : text[i].toLowerCase()); map.push(i);
    }
    const at = quote ? flat.join("").indexOf(squash(quote).trim()) : -1;
    if (at < 0) { node.textContent = text; return null; }
    const start = map[at], end = map[at + squash(quote).trim().length - 1] + 1;
    const mark = el("mark", text.slice(start, end), "quote");
    node.append(text.slice(0, start), mark, text.slice(end));
    return mark;
  }

  function showPassageAt(position, quote) {
    const boxes = $("doc").children;
    for (const box of boxes) box.classList.remove("hit");
    const p = doc.passages[position];
    const box = boxes[position];
    if (!p || !box) return;
    doc.at = position;
    box.classList.add("hit");
    const mark = markQuote(box, p.text, quote || "");
    (mark || box).scrollIntoView({block: "center"});
    $("doc-where").textContent = [p.headings.join(" › "), p.page ? `page ${p.page}` : "",
      `passage ${position + 1} of ${doc.passages.length}`].filter(Boolean).join(" · ");
    // static/pages.js shows the PDF page of a passage that has one
    document.dispatchEvent(new CustomEvent("scent:passage", {detail: {passage: p, quote: quote || "", index: doc.index}}));
  }

  async function openPassage(passageId, quote, index) {
    try {
      const where = index === undefined ? current() : index;
      const found = await (await api(withIndex("/api/document?docid=" + encodeURIComponent(passageId), where))).json();
      doc = {index: where, passages: found.passages, at: 0};
      $("doc-title").textContent = found.title;
      $("doc-path").textContent = found.path;
      $("doc-tools").hidden = false;
      $("doc").replaceChildren(...found.passages.map((p) => { const para = el("p", p.text); para.dataset.id = p.id; return para; }));
      const position = Math.max(0, found.passages.findIndex((p) => p.id === passageId));
      showPassageAt(position, quote);
      showError("");
    } catch (e) { showError(e.message); }
  }
  $("doc-prev").addEventListener("click", () => { if (doc && doc.at > 0) showPassageAt(doc.at - 1); });
  $("doc-next").addEventListener("click", () => { if (doc && doc.at < doc.passages.length - 1) showPassageAt(doc.at + 1); });
  $("doc-find").addEventListener("keydown", (e) => {
    if (e.key !== "Enter" || !doc) return;
    const words = squash($("doc-find").value).trim();
    if (!words) return;
    const n = doc.passages.length;
    for (let step = 1; step <= n; step++) {
      const position = (doc.at + step) % n;
      if (squash(doc.passages[position].text).includes(words)) { showPassageAt(position, $("doc-find").value); return; }
    }
    showError(`“${$("doc-find").value}” is not in this document`);
  });

  // -- search ---------------------------------------------------------------------------------------------
  async function search(q, path) {
    const params = new URLSearchParams({q, k: $("k").value || "10"});
    if (path) params.set("path", path);
    try {
      const hits = await (await api(withIndex("/api/search?" + params))).json();
      const list = $("hits");
      list.replaceChildren();
      if (!hits.length) list.appendChild(el("li", "no passage matches", "dim"));
      const index = current();
      for (const h of hits) {
        const item = el("li");
        item.tabIndex = 0;
        item.append(el("strong", h.title), " ", el("span", h.path + (h.headings.length ? " › " +
          h.headings.join(" › ") : ""), "dim"), el("div", h.snippet, "snippet"));
        item.addEventListener("click", () => openPassage(h.id, "", index));
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") openPassage(h.id, "", index); });
        list.appendChild(item);
      }
      showError("");
    } catch (e) { showError(e.message); }
  }
  $("search-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const q = $("query").value.trim();
    if (q) search(q, $("path").value.trim());
  });

  // -- what the run is doing, in words (the raw events stay one click away) --------------------------------
  function say(ev) {
    const args = ev.args || {};
    switch (ev.type) {
      case "run_start": return "started";
      case "plan": return ev.restated ? `understood as “${ev.restated}”` : null;
      case "tool_call":
        if (ev.tool === "search" || ev.tool === "lookup") return `searching “${args.query || args.phrase || ""}”`;
        if (ev.tool === "open_document" || ev.tool === "read") return "reading a passage";
        return `${ev.tool}`;
      case "tool_result": return {append: ` → ${(ev.ids || []).length} passages`};
      case "note": return `reading ${[ev.title, ...(ev.headings || []).slice(1)].filter(Boolean).join(" › ")}`;
      case "view": return ev.answer ? `view ${ev.view} says “${ev.answer}”` : null;
      case "verify": return "checking the quote";
      case "calibrate": return `confidence ${Number(ev.confidence).toFixed(2)}`;
      case "abstain": return `not answering: ${reason(ev.reason)}`;
      case "outline": return `outline: ${(ev.sections || ev.topics || []).length || "some"} sections`;
      case "section": return `writing “${ev.title || ev.query || "a section"}”`;
      case "report": return "report written";
      case "run_end": return ev.status === "complete" ? "done" : ev.status;
      default: return null;
    }
  }

  function addEvent(ev) {
    const item = el("li", JSON.stringify(ev).slice(0, 400));
    item.dataset.type = ev.type;
    $("trace").appendChild(item);
    const words = say(ev);
    if (!words) return;
    const steps = $("steps");
    if (words.append) { const last = steps.lastElementChild; if (last) last.textContent += words.append; return; }
    const step = el("li", words);
    step.dataset.type = ev.type;
    steps.appendChild(step);
  }

  const REASONS = {absent: "a key word of the question occurs nowhere in the documents",
    no_evidence: "no passage was found that bears on it", ungrounded: "no answer was found in the passages read",
    disagree: "the readings of the passages disagree", low_confidence: "the confidence is too low",
    writer_failed: "the model did not produce an answer"};
  const reason = (r) => REASONS[r] || r || "";

  function citeButton(c, index) {
    const button = el("button", `[${c.n}]`, "cite");
    button.type = "button";
    button.dataset.passage = c.id || c.passage_id;
    button.title = c.title + " — " + c.path;
    button.addEventListener("click", () => openPassage(c.id || c.passage_id, c.quote, index));
    return button;
  }

  function citationList(listId, items, index) {
    $(listId).replaceChildren(...items.map((c) => {
      const item = el("li");
      item.append(citeButton(c, index), " ", el("strong", c.title), " ", el("span", c.path, "dim"),
        el("div", "“" + c.quote + "”", "quote-line"));
      return item;
    }));
  }

  function reasons(answer) {
    const out = [];
    const views = answer.views || [];
    if (views.length) {
      // the vote's own measure (answers that agree in meaning: "100" and "100 connections"), else exact text
      const share = (answer.signals || {}).agreement;
      const agree = typeof share === "number" ? Math.round(share * views.length) :
        views.filter((v) => v.answer && answer.draft && squash(String(v.answer)) === squash(answer.draft)).length;
      out.push(`${agree} of ${views.length} readings agree`);
    }
    const cites = answer.citations || [];
    if (cites.length) {
      const verified = cites.filter((c) => c.supported !== false).length;
      out.push(`${verified} of ${cites.length} quotes verified`);
      out.push(`${new Set(cites.map((c) => c.path)).size} source${new Set(cites.map((c) => c.path)).size > 1 ? "s" : ""}`);
    }
    return out.join(" · ");
  }

  function showAnswer(answer, index, runId) {
    if (!answer) return;
    shown = {index, runId, answer};
    const report = answer.report_data;
    $("answer").hidden = !!report;
    $("answer-text").textContent = answer.answer;
    $("answer-marks").replaceChildren(...(answer.citations || []).map((c) => citeButton(c, index)));
    const confidence = Number(answer.confidence || 0);
    $("confidence").textContent = confidence.toFixed(2);
    $("confidence-band").className = "band " + (answer.abstained ? "none" : confidence >= 0.7 ? "high" :
      confidence >= 0.4 ? "mid" : "low");
    $("confidence-reasons").textContent = reasons(answer);
    $("abstain-reason").textContent = answer.abstained ? `Not answered: ${reason(answer.abstain_reason)}.` : "";
    citationList("citations", answer.citations || [], index);
    citationList("closest", answer.closest || [], index);
    $("closest-box").hidden = !(answer.abstained && (answer.closest || []).length);
    $("report").hidden = !report;
    $("export").hidden = !report;
    if (report) renderReport(report, index);
  }

  // -- reports ----------------------------------------------------------------------------------------------
  function claimLine(claim, refs, index) {
    const line = el("p");
    line.append(claim.text, " ");
    for (const n of claim.refs || []) { const r = refs.get(n); if (r) line.append(citeButton({...r, id: r.passage_id}, index), " "); }
    return line;
  }

  function renderReport(data, index) {
    const refs = new Map((data.references || []).map((r) => [r.n, r]));
    const box = $("report");
    box.replaceChildren(el("h2", data.title || data.question));
    const counts = data.counts || {};
    box.appendChild(el("p", `${counts.sections ?? 0} sections from ${counts.sources_cited ?? 0} documents; ` +
      `${counts.searches ?? 0} searches`, "dim"));
    if ((data.summary || []).length) {
      box.appendChild(el("h3", "Summary"));
      for (const c of data.summary) box.appendChild(claimLine(c, refs, index));
    }
    for (const section of data.sections || []) {
      const part = el("section");
      part.append(el("h3", section.title));
      for (const c of section.claims || []) part.appendChild(claimLine(c, refs, index));
      if ((section.unanswered || []).length) part.appendChild(el("p", "Not found: " + section.unanswered.join(", "), "dim"));
      box.appendChild(part);
    }
    if ((data.gaps || []).length) {
      box.appendChild(el("h3", "Gaps"));
      const list = el("ul");
      for (const g of data.gaps) list.appendChild(el("li", typeof g === "string" ? g : (g.topic || g.title || JSON.stringify(g))));
      box.appendChild(list);
    }
    box.appendChild(el("h3", "References"));
    const list = el("ol", null, "references");
    for (const r of data.references || []) {
      const item = el("li");
      item.append(citeButton({...r, id: r.passage_id}, index), " ", el("strong", r.title), " ",
        el("span", [r.path, ...(r.headings || []).slice(1)].join(" › "), "dim"), el("div", "“" + r.quote + "”", "quote-line"));
      list.appendChild(item);
    }
    box.appendChild(list);
  }

  function download(name, type, text) {
    const link = el("a");
    link.href = URL.createObjectURL(new Blob([text], {type}));
    link.download = name;
    document.body.appendChild(link);
    link.click();
    setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
  }
  for (const button of document.querySelectorAll("[data-export]")) {
    button.addEventListener("click", () => {
      if (!shown || !shown.answer.report_data) return;
      const base = "scent-report-" + (shown.runId || "run");
      const kind = button.dataset.export;
      if (kind === "md") download(base + ".md", "text/markdown", shown.answer.report || "");
      else if (kind === "json") download(base + ".json", "application/json", JSON.stringify(shown.answer.report_data, null, 2));
      else {
        const copy = $("report").cloneNode(true);
        for (const b of copy.querySelectorAll("button")) b.replaceWith(b.textContent);
        download(base + ".html", "text/html", "<!doctype html><meta charset=utf-8><title>" +
          el("x", shown.answer.report_data.title || "report").outerHTML.slice(3, -4) + "</title>" + copy.outerHTML);
      }
    });
  }

  // -- runs -----------------------------------------------------------------------------------------------
  let clock = null;
  function setRunning(run) {
    running = run;
    $("ask-button").disabled = !!run;
    $("cancel-button").disabled = !run;
    clearInterval(clock);
    $("run-status").textContent = "";
    if (run) {
      const started = Date.now();
      clock = setInterval(() => { $("run-status").textContent = `working… ${Math.round((Date.now() - started) / 1000)} s`; }, 500);
    }
  }

  async function ask(question, mode) {
    clearRun();
    const index = current();
    const controller = new AbortController();
    setRunning({id: null, controller, index});
    try {
      const response = await api("/api/ask", {method: "POST", signal: controller.signal,
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({question, mode, index})});
      const reader = response.body.getReader();
      const decoder = new TextDecoder();
      let buffer = "";
      for (;;) {
        const {value, done} = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, {stream: true}).replace(/\r\n?/g, "\n");
        let cut;
        while ((cut = buffer.indexOf("\n\n")) >= 0) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          let type = "message", data = "";
          for (const line of block.split("\n")) {
            if (line.startsWith("event:")) type = line.slice(6).trim();
            else if (line.startsWith("data:")) data += line.slice(5).trim();
          }
          if (!data) continue;
          const ev = JSON.parse(data);
          if (type === "run") { running.id = ev.id; continue; }
          if (index !== current()) continue; // the user moved to another index: this run is no longer shown
          addEvent(ev);
          if (ev.type === "run_end") showAnswer(ev.answer, index, running.id);
        }
      }
      showError("");
    } catch (e) {
      if (e.name !== "AbortError") showError(e.message);
    } finally {
      setRunning(null);
      loadHistory();
    }
  }

  $("ask-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const question = $("question").value.trim();
    if (question && !running) ask(question, $("mode").value);
  });
  $("question").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); $("ask-form").requestSubmit(); }
  });

  async function cancel() {
    if (!running) return;
    $("run-status").textContent = "cancelling…";
    if (running.id) {
      try { await api(withIndex(`/api/runs/${encodeURIComponent(running.id)}/cancel`, running.index), {method: "POST"}); }
      catch (e) { /* ended */ }
    }
    running.controller.abort();
  }
  $("cancel-button").addEventListener("click", cancel);

  async function loadHistory() {
    const index = current();
    try {
      const runs = await (await api(withIndex("/api/runs?limit=30", index))).json();
      if (index !== current()) return;
      $("history").replaceChildren(...runs.map((r) => {
        const item = el("li");
        item.tabIndex = 0;
        item.append(el("span", r.mode === "report" ? "report" : "answer", "tag"), " ", el("span", r.question), " ",
          el("span", `— ${r.status}` + (r.answer ? `: ${r.answer}` : ""), "dim"));
        const open = async () => {
          const run = await (await api(withIndex(`/api/runs/${encodeURIComponent(r.id)}`, index))).json();
          if (index !== current()) return;
          clearRun();
          run.events.forEach(addEvent);
          showAnswer(run.answer, index, r.id);
        };
        item.addEventListener("click", open);
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
        return item;
      }));
    } catch (e) { $("history").replaceChildren(); /* the agent may be off (503): no history */ }
  }

  // -- library ----------------------------------------------------------------------------------------------
  let library = [];
  async function loadLibrary() {
    const index = current();
    try {
      const first = await (await api(withIndex("/api/sources?limit=1000", index))).json();
      library = first.sources;
      $("library-stats").textContent = `${first.total} documents in ${index}` + (first.total > library.length ?
        ` (the first ${library.length} listed)` : "");
      showLibrary();
    } catch (e) { showError(e.message); }
  }
  function showLibrary() {
    const words = squash($("library-filter").value).trim();
    const index = current();
    $("library").replaceChildren(...library.filter((s) => !words || squash(s.path + " " + s.title).includes(words))
      .slice(0, 500).map((s) => {
        const item = el("li");
        item.tabIndex = 0;
        item.append(el("strong", s.title || s.path), " ", el("span", `${s.path} · ${s.kind} · ${s.passages} passages`, "dim"));
        const open = () => openPassage(s.docid, "", index);
        item.addEventListener("click", open);
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
        return item;
      }));
  }
  $("library-filter").addEventListener("input", showLibrary);

  // -- evaluations --------------------------------------------------------------------------------------------
  async function loadEvals() {
    try {
      const evals = await (await api("/api/evals")).json();
      document.querySelector("[data-tab=evals]").hidden = !evals.length;
      const box = $("evals");
      box.replaceChildren();
      for (const e of evals) {
        const part = el("section");
        part.appendChild(el("h3", e.name));
        const summary = (await (await api(`/api/evals/${encodeURIComponent(e.name)}`)).json()).summary;
        if (summary) part.appendChild(el("pre", JSON.stringify(summary, null, 2), "summary"));
        for (const file of e.files.filter((f) => f.endsWith(".png"))) {
          const blob = await (await api(`/api/evals/${encodeURIComponent(e.name)}/${encodeURIComponent(file)}`)).blob();
          const img = el("img");
          img.alt = file; img.src = URL.createObjectURL(blob);
          part.appendChild(img);
        }
        box.appendChild(part);
      }
    } catch (e) { /* no evaluations served */ }
  }

  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (e.key === "Escape") cancel();
    else if (!typing && e.key === "/") { e.preventDefault(); $("query").focus(); }
    else if (!typing && e.key === "a") { e.preventDefault(); $("question").focus(); }
  });

  // what static/indexing.js (the Library's "add a folder") and static/pages.js (PDF pages) use
  window.scentUI = {api, el, current, showError, loadStats, loadLibrary, withIndex};

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("scent-token", token);
    loadStats();
  });

  loadStats();
})();
