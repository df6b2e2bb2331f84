"""The README and docs/ stay true to the code: every setting is documented, every relative link
points at a file that exists, and the README stays a short page for users."""
import re

import pytest

from rag.settings import Settings
from tests.conftest import ROOT

PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def test_every_setting_is_documented():
    text = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
    missing = [f"HOIDAP_{name.upper()}" for name in Settings.model_fields
               if f"`HOIDAP_{name.upper()}`" not in text]
    assert not missing, f"add a row to docs/settings.md for {missing}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_relative_links_point_at_files(page):
    broken = []
    for target in LINK.findall(page.read_text(encoding="utf-8")):
        if re.match(r"^[a-z]+:", target) or target.startswith("#"):
            continue  # a URL or an anchor in the same page
        path = target.split("#")[0]
        if not (page.parent / path).exists():
            broken.append(target)
    assert not broken, f"{page.name}: {broken}"


def test_readme_is_short_opens_with_the_two_commands_and_links_every_docs_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) < 200
    head = "\n".join(readme.splitlines()[:8])
    assert "make run" in head and "make test" in head
    unlinked = [p.name for p in PAGES[1:] if f"docs/{p.name}" not in readme]
    assert not unlinked, f"link these from the README: {unlinked}"
