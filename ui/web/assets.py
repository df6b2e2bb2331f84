"""What the browser gets besides the Blocks layout: the style sheet and the page script.

The script (APP_JS, put in the page head) does what Gradio components do not: Enter sends and
Shift+Enter adds a line; [n] markers and answers open that answer's citation card; copy buttons
put plain text and rich text (HTML for Word) on the clipboard; labels and tooltips are
Vietnamese, or English when the browser asks for English (`i18n.py` holds the words).

    >>> gr.mount_gradio_app(app, blocks, "/", css=CSS, head=page_head())  # doctest: +SKIP
"""
import json
from pathlib import Path

from ui.web.i18n import EN_FOR_VI, VI_FOR_GRADIO

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
.hd-cite.hd-flash { outline: 3px solid var(--color-accent); transition: outline .3s; }
#hd-chat a[href^="#hd-cite-"] { text-decoration: none; font-weight: 600; }
.hd-welcome { padding: .4rem .2rem; }
#hd-examples button { white-space: normal; text-align: left; }
#hd-fb-row { align-items: end; }
@media (min-width: 769px) {  /* the open sidebar pushes the page instead of covering it */
  .sidebar-parent:has(.sidebar.open:not(.right)) { padding-left: 310px !important; }
}
@media (max-width: 700px) {  /* phones: chat first, sources below, nothing wider than the screen */
  #hd-main-row { flex-direction: column !important; }
  #hd-main-row > div { width: 100% !important; min-width: 0 !important; }
  #hd-chat { height: 60vh !important; }
  .gradio-container { padding: 4px !important; }
}
"""

APP_JS = (Path(__file__).parent / "app.js").read_text(encoding="utf-8")


def page_head() -> str:
    """The <head> addition: the word lists and the page script."""
    words = json.dumps({"en": EN_FOR_VI, "vi": VI_FOR_GRADIO}, ensure_ascii=False)
    return f"<script>window.HD_WORDS = {words};\n{APP_JS}</script>"

# system fonts: the default themes fetch web fonts, which an offline machine cannot load, and
# some monospace web fonts lack precomposed Vietnamese letters
SYSTEM_FONTS = ["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Noto Sans", "Arial", "sans-serif"]
MONO_FONTS = ["ui-monospace", "Consolas", "DejaVu Sans Mono", "monospace"]
