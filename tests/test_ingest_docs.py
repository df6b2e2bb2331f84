"""The usage examples in the ingest modules' docstrings run and print what they say."""
from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import ingest
import ingest.readers
import ingest.web

MODULES = sorted({f"ingest.{m.name}" for m in pkgutil.iter_modules(ingest.__path__)}
                 | {f"ingest.readers.{m.name}" for m in pkgutil.iter_modules(ingest.readers.__path__)}
                 | {f"ingest.web.{m.name}" for m in pkgutil.iter_modules(ingest.web.__path__)}
                 | {"ingest.readers", "ingest.web"})


@pytest.mark.parametrize("name", MODULES)
def test_module_docstring_has_a_working_example(name):
    mod = importlib.import_module(name)
    assert ">>>" in (mod.__doc__ or ""), f"{name}: no usage example in the module docstring"
    result = doctest.testmod(mod, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE, verbose=False)
    assert result.failed == 0, f"{name}: {result.failed} docstring example(s) failed"
