"""CI cannot pass by skipping: a skip for something missing fails a CI run; one that says "does not apply" does not."""

import os
from pathlib import Path

import pytest

TESTS = str(Path(__file__).resolve().parent)  # where the skip_policy plugin lives
PROBE = """
import pytest
def test_needs_a_tool(): pytest.skip("espeak-ng is not installed")
def test_not_applicable(): pytest.skip("root reads files whatever their mode")
def test_runs(): assert True
"""


@pytest.mark.parametrize("ci, code", [("true", 1), ("", 0)])
def test_a_missing_dependency_fails_ci_only(pytester, monkeypatch, ci, code):
    monkeypatch.setenv("CI", ci)
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_probe=PROBE)
    result = pytester.runpytest_subprocess("-p", "skip_policy")
    assert result.ret == code
    result.stdout.fnmatch_lines(["*skips by reason*", "*1  espeak-ng is not installed*"])


def test_only_not_applicable_skips_pass_ci(pytester, monkeypatch):
    monkeypatch.setenv("CI", "true")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(filter(None, [TESTS, os.environ.get("PYTHONPATH")])))
    pytester.makepyfile(test_probe="""
import pytest
def test_not_applicable(): pytest.skip("root reads files whatever their mode")
def test_runs(): assert True
""")
    assert pytester.runpytest_subprocess("-p", "skip_policy").ret == 0
