// The original file of the document on screen (a download), and the PDF page of the passage on screen (GET /api/page, rendered by the server with pypdfium2), the quote's
// region marked on it by the server and scrolled into view. The image comes as a blob through the authorised
// fetch (an <img src> could not send the token) and is shown from an object URL.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const ui = window.scentUI;
  let shownKey = "";
  let url = null;

  function hide() {
    shownKey = "";
    $("doc-page").hidden = true;
    $("doc-page-img").removeAttribute("src");
    if (url) { URL.revokeObjectURL(url); url = null; }
  }

  async function show(passage, quote, index) {
    const key = [index, passage.id, quote].join("\u0000");
    if (key === shownKey) return;
    shownKey = key;
    try {
      const params = new URLSearchParams({id: passage.id});
      if (quote) params.set("quote", quote);
      const response = await ui.api(ui.withIndex("/api/page?" + params, index));
      const blob = await response.blob();
      if (shownKey !== key) return; // another passage was opened meanwhile
      if (url) URL.revokeObjectURL(url);
      url = URL.createObjectURL(blob);
      const img = $("doc-page-img");
      const marks = Number(response.headers.get("X-Scent-Marks") || 0);
      const top = response.headers.get("X-Scent-Mark-Top");
      img.alt = `page ${response.headers.get("X-Scent-Page")} of ${passage.path}`;
      $("doc-page-caption").textContent = `page ${response.headers.get("X-Scent-Page")} of ` +
        `${response.headers.get("X-Scent-Pages")} — ${passage.path}` + (marks ? " — the quote is marked" :
        quote ? " — the quote could not be placed on the page image (see the text below)" : "");
      const mark = $("doc-page-mark");
      mark.hidden = top === null;
      await new Promise((resolve) => { img.onload = resolve; img.onerror = resolve; img.src = url; });
      $("doc-page").hidden = false;
      if (top !== null) {
        mark.style.top = `${(Number(top) * 100).toFixed(2)}%`; // CSSOM, allowed by the CSP (no inline style)
        mark.scrollIntoView({block: "center"});
      }
    } catch (e) {
      hide(); // not from a PDF page after all, or the file is gone: the text stays
    }
  }

  let onScreen = null; // {passage, index}: whose original file the button downloads
  $("doc-original").addEventListener("click", async () => {
    if (!onScreen) return;
    try {
      const {passage, index} = onScreen;
      const response = await ui.api(ui.withIndex("/api/original?id=" + encodeURIComponent(passage.id), index));
      const blob = await response.blob();
      const link = ui.el("a");
      link.href = URL.createObjectURL(blob);
      link.download = passage.path.split("/").pop() || "document";
      document.body.appendChild(link);
      link.click();
      setTimeout(() => { URL.revokeObjectURL(link.href); link.remove(); }, 1000);
      ui.showError("");
    } catch (e) { ui.showError(e.message); }
  });

  document.addEventListener("scent:passage", (event) => {
    const {passage, quote, index} = event.detail;
    onScreen = {passage, index};
    if (passage.page && /\.pdf$/i.test(passage.path)) show(passage, quote, index);
    else hide();
  });
  document.addEventListener("scent:cleared", () => { onScreen = null; hide(); });
})();
