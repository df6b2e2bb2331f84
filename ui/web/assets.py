"""What the browser gets besides the Blocks layout: the style sheet and the copy-button script.

    >>> gr.HTML(render_citations(None), js_on_load=COPY_JS)  # doctest: +SKIP
"""

CSS = """
.hd-cites { font-size: 0.92rem; }
.hd-cites-head { display: flex; align-items: center; justify-content: space-between; gap: .5rem; margin-bottom: .4rem; }
.hd-cite { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .55rem .7rem; margin: .45rem 0; }
.hd-cite-title { font-weight: 600; }
.hd-n { color: var(--color-accent); font-weight: 700; }
.hd-cite-meta { color: var(--body-text-color-subdued); font-size: .85rem; margin: .15rem 0 .35rem; }
.hd-passage { margin: .2rem 0 .45rem; padding: .3rem .6rem; border-left: 3px solid var(--color-accent-soft);
              white-space: pre-wrap; line-height: 1.45; }
.hd-passage mark { background: #fde68a; color: inherit; padding: 0 .1rem; border-radius: 2px; }
.hd-copy { font-size: .8rem; padding: .2rem .55rem; border: 1px solid var(--border-color-primary);
           border-radius: 6px; background: var(--button-secondary-background-fill); cursor: pointer; }
.hd-copy:hover { background: var(--button-secondary-background-fill-hover); }
.hd-empty { color: var(--body-text-color-subdued); }
.hd-notice { color: var(--body-text-color-subdued); font-style: italic; margin: .3rem 0; }
.hd-article h3 { margin-top: 0; }
#hd-sources, #hd-sources *, #hd-results, #hd-results * { font-family: var(--font); }
.hd-article p { margin: .45rem 0; line-height: 1.5; }
"""

# Copy buttons: event delegation on the citations panel; navigator.clipboard with a textarea
# fallback (non-secure contexts, denied permission). The text comes from data-hd-copy.
COPY_JS = r"""
function hdFallbackCopy(text) {
  const ta = document.createElement('textarea');
  ta.value = text; ta.setAttribute('readonly', ''); ta.style.position = 'fixed'; ta.style.opacity = '0';
  document.body.appendChild(ta); ta.select();
  let ok = false; try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
  document.body.removeChild(ta); return ok;
}
element.addEventListener('click', function (ev) {
  const btn = ev.target && ev.target.closest ? ev.target.closest('[data-hd-copy]') : null;
  if (!btn) return;
  ev.preventDefault(); ev.stopPropagation();
  const text = btn.getAttribute('data-hd-copy') || '';
  const label = btn.dataset.hdLabel || btn.textContent;
  btn.dataset.hdLabel = label;
  const done = function (ok) {
    window.__hdLastCopy = text;
    btn.textContent = ok ? 'Đã sao chép ✓' : 'Không sao chép được';
    setTimeout(function () { btn.textContent = label; }, 1600);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(text).then(function () { done(true); }, function () { done(hdFallbackCopy(text)); });
  } else { done(hdFallbackCopy(text)); }
});
"""

# system fonts: the default themes fetch web fonts, which an offline machine cannot load, and
# some monospace web fonts lack precomposed Vietnamese letters
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Noto Sans", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "DejaVu Sans Mono", "monospace"]
