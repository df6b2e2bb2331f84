"""Line plots for the bench reports: size (chunks, log scale) on x, one panel per metric.

Each report writes its PNG under reports/plots/ and links it, so the figures in
docs/benchmarks.md can be seen as curves. matplotlib is already a dependency (eval reports).
"""
from __future__ import annotations

from pathlib import Path

Series = dict[str, list[tuple[float, float]]]  # label -> (x, y) points


def size_panels(path: Path, panels: list[dict], title: str, xlabel: str = "chunks") -> Path:
    """panels: [{"series": Series, "ylabel": str, "logy": bool, "target": (y, label) | None}].
    A label "what, variant" takes its colour from "what" (the same in every panel) and is dashed
    when the variant is ef=128, so the two search beams stay apart at a glance."""
    import matplotlib

    matplotlib.use("Agg")  # headless
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 3.6), squeeze=False)
    palette = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    colours: dict[str, str] = {}
    for ax, p in zip(axes[0], panels):
        for label, pts in p["series"].items():
            pts = sorted(pts)
            if pts:
                what = label.split(", ")[0]
                colour = colours.setdefault(what, palette[len(colours) % len(palette)])
                ax.plot([x for x, _ in pts], [y for _, y in pts], marker="o", label=label, color=colour,
                        linestyle="--" if "ef=128" in label else "-")
        if p.get("target"):
            y, lab = p["target"]
            ax.axhline(y, color="grey", linewidth=1, linestyle=":")
            ax.annotate(lab, (0.02, y), xycoords=("axes fraction", "data"), fontsize=8, color="grey",
                        va="bottom")
        ax.set_xscale("log")
        if p.get("logy"):
            ax.set_yscale("log")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(p["ylabel"])
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
