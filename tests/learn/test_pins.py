"""The numerical libraries the models (and features) rest on are pinned to one version in pyproject.toml, and the
tests run against exactly that version: a range would let an install pick a version no test ran (implicit 0.7.3
changed its callback's arity within 0.7 and `vidrec evaluate` crashed)."""

from __future__ import annotations

import importlib.metadata
import re
import tomllib
from pathlib import Path

import pytest

PINNED = ("implicit", "faiss-cpu", "ctranslate2", "onnxruntime", "torch")


def _requirements() -> dict[str, str]:
    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    out = {}
    for req in project["project"]["dependencies"]:
        m = re.match(r"\s*([A-Za-z0-9_.\-]+)\s*(.*)", req)
        out[m.group(1).lower()] = m.group(2).strip()
    return out


@pytest.mark.parametrize("name", PINNED)
def test_numerical_library_pinned_and_installed_at_the_pin(name):
    spec = _requirements().get(name)
    assert spec is not None, f"{name} is not a dependency in pyproject.toml"
    assert re.fullmatch(r"==\s*[0-9][0-9A-Za-z.]*", spec), f"{name} is not pinned to one version: {spec!r}"
    pinned = spec.removeprefix("==").strip()
    installed = importlib.metadata.version(name).split("+")[0]  # torch's CPU build is 2.13.0+cpu
    assert installed == pinned, f"{name} {installed} installed, pyproject pins {pinned}"
