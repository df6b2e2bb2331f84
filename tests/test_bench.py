"""The benchmark package: every module imports as `bench.<name>` (no sys.path edits, no clash with
the `ingest` package or rag/store.py), and the shared helpers do what the reports rely on.
The benchmarks themselves are too slow for the suite; each was run once at its smallest size."""
import doctest
import importlib
import json
import pkgutil

import pytest

import bench
from bench import common


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.iter_modules(bench.__path__)))
def test_every_bench_module_imports_from_the_package(name):
    mod = importlib.import_module(f"bench.{name}")
    assert mod.__file__.startswith(bench.__path__[0])
    if name not in ("common", "plot"):  # the rest are runnable benchmarks
        assert callable(mod.main), name


def test_bench_modules_do_not_shadow_project_packages():
    names = {m.name for m in pkgutil.iter_modules(bench.__path__)}
    assert not names & {"rag", "ingest", "eval", "ui", "store", "tests"}
    assert importlib.import_module("ingest").__file__.endswith("ingest/__init__.py")


def test_common_doctests():
    assert doctest.testmod(common).failed == 0


def test_pct_is_nearest_rank():
    xs = [10.0, 1.0, 7.0, 3.0]
    assert common.pct(xs, 0) == 1.0 and common.pct(xs, 100) == 10.0
    assert common.pct(xs, 50) == 7.0  # rank round(0.5 * 3) = 2 of the sorted list
    assert common.pct([], 50) != common.pct([], 50)  # NaN


def test_md_table_keeps_hostile_cells_inside_their_cell():
    table = common.md_table([["a|b\nc", "\x00", None], ["x" * 50, "ok", 3]], ["in", "out", "n"], width=20)
    lines = table.splitlines()
    assert len(lines) == 4  # header, rule, two rows: no cell broke a line
    assert all(line.count(" | ") == 2 for line in (lines[0], lines[2], lines[3]))
    assert "a\\|b c" in lines[2] and "\\x00" in lines[2] and "x" * 21 not in table


def test_write_report_writes_markdown_and_json(tmp_path, capsys):
    out = common.write_report(tmp_path / "r" / "x.md", ["# T", "", "body"], data={"p50": 1.5, "province": "Hà Nội"})
    assert out.read_text(encoding="utf-8") == "# T\n\nbody\n"
    assert json.loads(out.with_suffix(".json").read_text(encoding="utf-8")) == {"p50": 1.5, "province": "Hà Nội"}
    assert "body" in capsys.readouterr().out


def test_du_mb_counts_allocated_blocks(tmp_path):
    (tmp_path / "a").write_bytes(b"x" * 2_000_000)
    assert 1.9 < common.du_mb(tmp_path) < 2.2
