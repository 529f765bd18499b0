// scent's web UI: plain DOM, no build step, no CDN. Everything from the corpus is set with textContent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  let token = sessionStorage.getItem("scent-token") || "";
  let running = null; // {id, controller}
  let indexes = [];   // the served indexes, from /api/indexes (the first is the server's default)

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

  // every request names the index chosen in the header's list
  const current = () => $("index").value || (indexes[0] || {}).name || "";
  const withIndex = (path) => path + (path.includes("?") ? "&" : "?") + "index=" + encodeURIComponent(current());

  function showStats() {
    const index = indexes.find((i) => i.name === current());
    if (index) $("stats").textContent = `${index.documents} documents, ${index.passages} passages, ` +
      `retriever ${index.retriever}`;
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
    } catch (e) { showError(e.message); }
  }
  $("index").addEventListener("change", () => { showStats(); $("hits").replaceChildren(); loadHistory(); });

  // -- documents ------------------------------------------------------------------------------------------
  async function openPassage(passageId) {
    try {
      const doc = await (await api(withIndex("/api/document?docid=" + encodeURIComponent(passageId)))).json();
      $("doc-title").textContent = doc.title;
      $("doc-path").textContent = doc.path;
      const box = $("doc");
      box.replaceChildren();
      let target = null;
      for (const p of doc.passages) {
        const para = el("p", p.text);
        para.dataset.id = p.id;
        if (p.id === passageId) { para.classList.add("hit"); target = para; }
        box.appendChild(para);
      }
      if (target) target.scrollIntoView({block: "center"});
    } catch (e) { showError(e.message); }
  }

  // -- search ---------------------------------------------------------------------------------------------
  $("search-form").addEventListener("submit", async (event) => {
    event.preventDefault();
    const q = $("query").value.trim();
    if (!q) return;
    const params = new URLSearchParams({q, k: $("k").value || "10"});
    if ($("path").value.trim()) params.set("path", $("path").value.trim());
    try {
      const hits = await (await api(withIndex("/api/search?" + params))).json();
      const list = $("hits");
      list.replaceChildren();
      if (!hits.length) list.appendChild(el("li", "no passage matches", "dim"));
      for (const h of hits) {
        const item = el("li");
        item.tabIndex = 0;
        item.append(el("strong", h.title), " ", el("span", h.path + (h.headings.length ? " › " +
          h.headings.join(" › ") : ""), "dim"), el("div", h.snippet, "snippet"));
        item.addEventListener("click", () => openPassage(h.id));
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") openPassage(h.id); });
        list.appendChild(item);
      }
      showError("");
    } catch (e) { showError(e.message); }
  });

  // -- runs -----------------------------------------------------------------------------------------------
  function describe(ev) {
    const args = ev.args || {};
    switch (ev.type) {
      case "run_start": return ["run started: " + ev.question, ""];
      case "plan": return ["plan: " + (ev.restated || ""), ""];
      case "tool_call": return [`${ev.tool}: ${args.query || args.phrase || args.pattern || args.passage_id || ""}`, "search"];
      case "tool_result": return [`  → ${(ev.ids || []).length} passages`, "search"];
      case "note": return [`evidence: ${ev.title}: “${(ev.quote || "").slice(0, 120)}”`, "evidence"];
      case "llm_call": return [`model call (${ev.role}, ${ev.completion_tokens ?? "?"} tokens, ${ev.ms ?? "?"} ms)`, ""];
      case "view": return [`writer view ${ev.view}: ${ev.answer}`, ""];
      case "verify": return [`verify ${ev.evidence}: ${ev.verbatim ? "verbatim" : "not found"}`, ""];
      case "calibrate": return [`confidence ${Number(ev.confidence).toFixed(2)}`, ""];
      case "abstain": return ["abstains: " + ev.reason, ""];
      case "run_end": return ["run ended: " + ev.status, "end"];
      default: return [ev.type, ""];
    }
  }

  function addTrace(ev) {
    const [text, cls] = describe(ev);
    const item = el("li", text, cls);
    item.dataset.type = ev.type;
    $("trace").appendChild(item);
    $("trace").scrollTop = $("trace").scrollHeight;
  }

  function citationList(listId, items) {
    const list = $(listId);
    list.replaceChildren();
    for (const c of items) {
      const item = el("li");
      const button = el("button", `[${c.n}]`, "cite");
      button.type = "button";
      button.dataset.passage = c.id;
      button.addEventListener("click", () => openPassage(c.id));
      item.append(button, " ", el("strong", c.title), " ", el("span", c.path, "dim"), el("div", "“" + c.quote + "”"));
      list.appendChild(item);
    }
  }

  function showAnswer(answer) {
    if (!answer) return;
    $("answer").hidden = false;
    $("answer-text").textContent = answer.answer;
    $("confidence").textContent = Number(answer.confidence || 0).toFixed(2);
    $("abstain-reason").textContent = answer.abstained ? `(abstained: ${answer.abstain_reason || ""})` : "";
    citationList("citations", answer.citations || []);
    citationList("closest", answer.closest || []);
    $("closest-box").hidden = !(answer.abstained && (answer.closest || []).length);
    $("report").hidden = !answer.report;
    $("report").textContent = answer.report || "";
  }

  function setRunning(run) {
    running = run;
    $("ask-button").disabled = !!run;
    $("cancel-button").disabled = !run;
    $("run-status").textContent = run ? "running…" : "";
  }

  async function ask(question, mode) {
    $("trace").replaceChildren();
    $("answer").hidden = true;
    const controller = new AbortController();
    setRunning({id: null, controller});
    try {
      const response = await api("/api/ask", {method: "POST", signal: controller.signal,
        headers: {"Content-Type": "application/json"}, body: JSON.stringify({question, mode, index: current()})});
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
          addTrace(ev);
          if (ev.type === "run_end") showAnswer(ev.answer);
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
    if (running.id) { try { await api(withIndex(`/api/runs/${encodeURIComponent(running.id)}/cancel`), {method: "POST"}); } catch (e) { /* ended */ } }
    running.controller.abort();
  }
  $("cancel-button").addEventListener("click", cancel);

  async function loadHistory() {
    try {
      const runs = await (await api(withIndex("/api/runs?limit=30"))).json();
      const list = $("history");
      list.replaceChildren();
      for (const r of runs) {
        const item = el("li");
        item.tabIndex = 0;
        item.append(el("span", r.question), " ", el("span", `— ${r.status}` + (r.answer ? `: ${r.answer}` : ""), "dim"));
        const open = async () => {
          const run = await (await api(withIndex(`/api/runs/${encodeURIComponent(r.id)}`))).json();
          $("trace").replaceChildren();
          run.events.forEach(addTrace);
          $("answer").hidden = true;
          showAnswer(run.answer);
        };
        item.addEventListener("click", open);
        item.addEventListener("keydown", (e) => { if (e.key === "Enter") open(); });
        list.appendChild(item);
      }
    } catch (e) { /* the agent may be off (503): history stays empty */ }
  }

  document.addEventListener("keydown", (e) => {
    const typing = ["INPUT", "TEXTAREA", "SELECT"].includes(document.activeElement.tagName);
    if (e.key === "Escape") cancel();
    else if (!typing && e.key === "/") { e.preventDefault(); $("query").focus(); }
    else if (!typing && e.key === "a") { e.preventDefault(); $("question").focus(); }
  });

  $("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    token = $("token").value.trim();
    sessionStorage.setItem("scent-token", token);
    loadStats();
  });

  loadStats();
})();
