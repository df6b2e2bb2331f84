// hoidap page script (loaded in <head>; everything is event delegation, so it works on the
// elements Gradio renders later). See ui/web/assets.py.
(function () {
  "use strict";
  const english = (navigator.languages && navigator.languages[0] || navigator.language || "vi")
    .toLowerCase().startsWith("en");
  document.documentElement.setAttribute("lang", english ? "en" : "vi");

  // ------------------------------------------------------------------ copy (text + HTML)
  function fallbackCopy(text) {
    const ta = document.createElement("textarea");
    ta.value = text; ta.setAttribute("readonly", ""); ta.style.position = "fixed"; ta.style.opacity = "0";
    document.body.appendChild(ta); ta.select();
    let ok = false; try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
    document.body.removeChild(ta); return ok;
  }
  function copy(text, html) {
    const clip = navigator.clipboard;
    if (clip && window.isSecureContext) {
      if (html && window.ClipboardItem && clip.write) {
        const item = new ClipboardItem({
          "text/plain": new Blob([text], {type: "text/plain"}),
          "text/html": new Blob([html], {type: "text/html"})});
        return clip.write([item]).then(() => true, () => clip.writeText(text).then(() => true, () => fallbackCopy(text)));
      }
      return clip.writeText(text).then(() => true, () => fallbackCopy(text));
    }
    return Promise.resolve(fallbackCopy(text));
  }
  const COPIED = english ? "Copied ✓" : "Đã sao chép ✓";
  const NOT_COPIED = english ? "Could not copy" : "Không sao chép được";
  document.addEventListener("click", function (ev) {
    const btn = ev.target.closest && ev.target.closest("[data-hd-copy]");
    if (!btn) return;
    ev.preventDefault(); ev.stopPropagation();
    const text = btn.getAttribute("data-hd-copy") || "";
    const label = btn.dataset.hdLabel || btn.textContent;
    btn.dataset.hdLabel = label;
    copy(text, btn.getAttribute("data-hd-copy-html")).then(function (ok) {
      window.__hdLastCopy = text;
      btn.textContent = ok ? COPIED : NOT_COPIED;
      setTimeout(function () { btn.textContent = label; }, 1600);
    });
  }, true);

  // ------------------------------------------------------------------ Enter sends
  // (Gradio's own multi-line textbox sends on Shift+Enter: this listener runs first, in the
  // capture phase, and keeps both keys from reaching it)
  document.addEventListener("keydown", function (ev) {
    if (ev.key !== "Enter" || ev.isComposing || ev.keyCode === 229) return;
    const box = ev.target.closest && ev.target.closest("#hd-question");
    if (!box || ev.target.tagName !== "TEXTAREA") return;
    ev.stopPropagation();
    if (ev.shiftKey) return;  // the browser adds the new line
    ev.preventDefault();
    const send = document.querySelector("#hd-ask");
    if (send) send.click();
  }, true);
  document.addEventListener("keypress", function (ev) {  // Gradio submits from keypress
    if (ev.key === "Enter" && ev.target.closest && ev.target.closest("#hd-question")) ev.stopPropagation();
  }, true);

  // ------------------------------------------------------------------ an answer's citations
  function showTurn(turn, n) {
    const panels = document.querySelectorAll("#hd-citations .hd-cites[data-hd-turn]");
    panels.forEach(function (p) { p.hidden = p.getAttribute("data-hd-turn") !== String(turn); });
    if (n === undefined) return;
    const card = document.getElementById("hd-cite-" + turn + "-" + n);
    if (card) {
      card.scrollIntoView({block: "nearest"});
      card.classList.add("hd-flash");
      setTimeout(function () { card.classList.remove("hd-flash"); }, 1500);
    }
  }
  window.hdShowTurn = showTurn;
  document.addEventListener("click", function (ev) {
    const link = ev.target.closest && ev.target.closest("a[href*='#hd-cite-']");
    if (link) {
      ev.preventDefault(); ev.stopPropagation();
      const m = link.getAttribute("href").match(/#hd-cite-(\d+)-(\d+)/);
      if (m) showTurn(m[1], m[2]);
      return;
    }
    const chat = ev.target.closest && ev.target.closest("#hd-chat");
    if (!chat || ev.target.closest("button")) return;
    const bots = Array.from(chat.querySelectorAll(".message-row.bot-row, .bot-row"));
    const row = ev.target.closest(".message-row.bot-row, .bot-row");
    const k = bots.indexOf(row);
    if (k >= 0) showTurn(k + 1);
  }, true);

  // ------------------------------------------------------------------ words
  const words = (window.HD_WORDS || {})[english ? "en" : "vi"] || {};
  const ATTRS = ["aria-label", "title", "placeholder"];
  function translate(root) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    let node;
    while ((node = walker.nextNode())) {
      const key = node.nodeValue.trim();
      if (key && Object.prototype.hasOwnProperty.call(words, key)) {
        node.nodeValue = node.nodeValue.replace(key, words[key]);
      }
    }
    root.querySelectorAll && root.querySelectorAll("[aria-label], [title], [placeholder]").forEach(function (el) {
      ATTRS.forEach(function (a) {
        const v = el.getAttribute(a);
        if (v && Object.prototype.hasOwnProperty.call(words, v.trim())) el.setAttribute(a, words[v.trim()]);
      });
    });
  }
  let pending = false;
  function schedule() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; translate(document.body); });
  }
  // a phone starts with the sidebar closed (open, it covers the whole screen)
  function closeSidebarOnPhone(tries) {
    if (window.innerWidth > 768) return;
    const toggle = document.querySelector(".sidebar.open .toggle-button");
    if (toggle) toggle.click();
    else if (tries > 0) setTimeout(function () { closeSidebarOnPhone(tries - 1); }, 250);
  }
  function start() {
    closeSidebarOnPhone(40);
    translate(document.body);
    new MutationObserver(schedule).observe(document.body, {subtree: true, childList: true, characterData: true,
                                                           attributes: true, attributeFilter: ATTRS});
  }
  if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
