"""The "Thêm bài viết" tab: upload files, ingest them, one result row per file (or JSONL line).

An upload refreshes what depends on the archive at once: the sources table, the province
filter, the first screen's overview and its example questions.

    >>> with gr.Blocks() as blocks:  # doctest: +SKIP
    ...     build_upload_tab(services, sources, chat)
"""
from __future__ import annotations

import gradio as gr

from ui.web.chat_tab import example_updates, province_choices, warn, welcome_text
from ui.web.services import Services
from ui.web.sources_tab import SourcesTab
from ui.web.uploads import STATUS_VI, UPLOAD_EXTS

RESULT_HEADERS = ["Tệp", "Kết quả", "Chi tiết"]


def _summary(res, report) -> str:
    counts = {k: sum(r.status == k for r in res) for k in ("stored", "unchanged", "failed")}
    text = f"Đã lưu **{counts['stored']}**, không đổi **{counts['unchanged']}**, lỗi **{counts['failed']}**"
    if report is not None:
        text += f" — {report.chunks} đoạn trong {report.seconds:.1f} giây"
    return text


def build_upload_tab(svc: Services, sources: SourcesTab, chat) -> None:
    """The upload tab's layout and events (call inside its gr.Tab)."""
    gr.Markdown(f"Tải lên tệp **{' '.join(UPLOAD_EXTS)}** (nhiều tệp một lần; tối đa "
                f"{svc.settings.max_file_mb:g} MB mỗi tệp). Tệp JSONL: mỗi dòng một bài với trường "
                f"`text` (và tuỳ chọn `id`, `title`, `url`, `date`, `author`, `source`).")
    # no file_types: Gradio would reject the whole batch for one wrong file; the handler reports
    # an unsupported file as a failed row instead
    files = gr.File(file_count="multiple", label="Tệp bài viết", elem_id="hd-files")
    ingest_btn = gr.Button("Nạp bài viết", variant="primary", elem_id="hd-ingest")
    summary = gr.Markdown("", elem_id="hd-ingest-summary")
    results = gr.Dataframe(headers=RESULT_HEADERS, datatype=["str", "str", "str"], interactive=False, wrap=True,
                           elem_id="hd-results", column_widths=["30%", "15%", "55%"])

    def ingest_files(paths, query, progress=gr.Progress()):
        if not paths:
            warn("Hãy chọn ít nhất một tệp.")
            return (gr.update(), "Chưa có tệp nào.") + (gr.update(),) * (len(archive_outputs) + 3)
        items = []
        for p in paths if isinstance(paths, list) else [paths]:
            path = getattr(p, "path", None) or getattr(p, "name", None) or p
            items.append((str(path), getattr(p, "orig_name", None)))
        progress(0, desc="Đang nạp bài viết…")

        def tick(done, total, label):
            progress((done, total), desc=f"Đã xử lý {label}", unit="bài")

        res, report = svc.ingest_uploads(items, progress=tick)
        rows = [[r.name, STATUS_VI.get(r.status, r.status), r.detail] for r in res]
        src_rows, picker, note = sources.view(query)
        return (rows, _summary(res, report), src_rows, picker, note, gr.update(choices=province_choices(svc)),
                welcome_text(svc), *example_updates(svc, len(chat.examples)))

    archive_outputs = [chat.province, chat.welcome, *chat.examples]
    ingest_btn.click(ingest_files, [files, sources.search], [results, summary, *sources.outputs, *archive_outputs],
                     api_name="ingest_files", concurrency_limit=1, concurrency_id="write")
