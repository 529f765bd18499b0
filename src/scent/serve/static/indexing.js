// The Library's "add a folder": a folder path on the server's disk (under a root allowed at start with
// --allow-index-root) indexed into the chosen index, its progress, then what was skipped and why; files from
// this computer uploaded into such a folder first (at most --max-upload-mb each; a name taken is refused).
// Everything from the server is set with textContent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const ui = window.scentUI;
  let following = null; // the job id being shown
  let maxUpload = 0;

  async function showForm() {
    try {
      const info = await (await ui.api("/api/indexing")).json();
      const here = info.indexes.includes(ui.current());
      $("add-folder").hidden = !info.enabled || !here;
      maxUpload = info.max_upload_bytes || 0;
      $("folder-roots").textContent = info.enabled ? "Folders under " + info.roots.join(", ") +
        ` can be added to this index; files of up to ${Math.round(maxUpload / 1e6)} MB uploaded into them.` : "";
      const running = info.jobs.find((j) => j.status === "running" || j.status === "queued");
      if (running && following !== running.id) follow(running.id);
    } catch (e) { $("add-folder").hidden = true; }
  }

  function say(job) {
    const box = $("indexing");
    box.hidden = false;
    box.classList.toggle("failed", job.status === "failed");
    const bar = $("indexing-bar");
    bar.hidden = job.status === "done" || job.status === "failed";
    if (job.phase === "embedding" && job.to_embed) { bar.max = job.to_embed; bar.value = job.embedded; }
    else if (job.files_total) { bar.max = job.files_total; bar.value = job.files_done; }
    else bar.removeAttribute("value");
    let words;
    if (job.status === "failed") words = job.id ? `Indexing ${job.folder} failed: ${job.error}` : job.error;
    else if (job.status === "done") {
      const s = job.summary || {};
      words = `Indexed ${job.folder} in ${job.seconds} s: ${s.added} added, ${s.updated} updated, ` +
        `${s.removed} removed, ${s.unchanged} unchanged, ${s.skipped} skipped` +
        (s.partial ? `, ${s.partial} read in part` : "") + `; the index holds ${s.documents_total} documents, ` +
        `${s.passages_total} passages.`;
    } else if (job.phase === "embedding") words = `Embedding passages: ${job.embedded} of ${job.to_embed}`;
    else words = job.files_total === null ? `Looking for files in ${job.folder}…` :
      `Reading files: ${job.files_done} of ${job.files_total} · ${job.passages_added} passages added`;
    $("indexing-status").textContent = words;
    const list = $("indexing-skipped");
    list.replaceChildren(...(job.skipped || []).map((s) => ui.el("li", `${s.path} — ${s.reason}` +
      (s.detail ? `: ${s.detail}` : ""))));
    if (job.skipped_total > (job.skipped || []).length) {
      list.appendChild(ui.el("li", `… and ${job.skipped_total - job.skipped.length} more`, "dim"));
    }
  }

  async function follow(id) {
    following = id;
    $("add-folder-button").disabled = true;
    try {
      for (;;) {
        const job = await (await ui.api(`/api/indexing/${encodeURIComponent(id)}`)).json();
        if (following !== id) return;
        say(job);
        if (job.status === "done" || job.status === "failed") {
          if (job.status === "done") { await ui.loadStats(); ui.loadLibrary(); }
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, 400));
      }
    } catch (e) { ui.showError(e.message); }
    finally { if (following === id) $("add-folder-button").disabled = false; }
  }

  const refused = (path, e) => say({status: "failed", folder: path, error: e.message.replace(/^\d+: /, ""),
    skipped: []});

  async function index(path) {
    try {
      const response = await ui.api("/api/indexing", {method: "POST", headers: {"Content-Type": "application/json"},
        body: JSON.stringify({path, index: ui.current()})});
      const job = await response.json();
      ui.showError("");
      say(job);
      follow(job.id);
    } catch (e) {
      refused(path, e); // a refused path: why, beside the field (the message names the path as typed)
    }
  }

  $("add-folder").addEventListener("submit", (event) => {
    event.preventDefault();
    const path = $("folder").value.trim();
    if (path) index(path);
  });

  $("upload-button").addEventListener("click", async () => {
    const path = $("folder").value.trim();
    const files = [...$("upload-files").files];
    if (!path || !files.length) {
      refused(path, new Error("choose files, and the folder on the server to put them in"));
      return;
    }
    const big = files.find((f) => maxUpload && f.size > maxUpload);
    if (big) { refused(path, new Error(`${big.name} is larger than the upload limit`)); return; }
    $("upload-button").disabled = true;
    try {
      for (const [n, file] of files.entries()) {
        say({status: "running", folder: path, files_total: null, skipped: []});
        $("indexing-status").textContent = `Uploading ${n + 1} of ${files.length}: ${file.name}`;
        await ui.api("/api/upload?" + new URLSearchParams({folder: path, name: file.name}), {method: "POST",
          headers: {"Content-Type": "application/octet-stream"}, body: file});
      }
      $("upload-files").value = "";
      await index(path);
    } catch (e) { refused(path, e); }
    finally { $("upload-button").disabled = false; }
  });

  document.addEventListener("scent:library", showForm);
  $("index").addEventListener("change", () => { $("indexing").hidden = true; showForm(); });
})();
