"""A pytest plugin: skips are counted by reason, and in CI (`CI=true`) a skip that means "something this test needs
is missing" fails the run, so a green CI cannot hide a group of tests that never ran."""

from __future__ import annotations

import os
from collections import Counter

# Skips that say a test does not apply on this machine or backend, not that something it needs is missing: the only
# ones CI accepts. Anything else skipped in CI (a missing espeak-ng, CJK font, Chromium, PostgreSQL, extra or encoder)
# means a group of tests did not run.
NOT_APPLICABLE = (
    "root reads files whatever their mode",  # CI runs as root; an unreadable file cannot be made there
    "PostgreSQL's own types",  # a SQLite-only check parametrised over both metadata backends
    "../shared",  # optional extra checks on the shared data sets; the repo must not need them
    "not a personalised model",  # a contract check of per-user scores, run on every model that has them
)

_skips: Counter[str] = Counter()


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _reason(report) -> str:
    longrepr = report.longrepr
    reason = longrepr[2] if isinstance(longrepr, tuple) and len(longrepr) == 3 else str(longrepr)
    return reason.removeprefix("Skipped: ")


def pytest_runtest_logreport(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        _skips[_reason(report)] += 1


def pytest_collectreport(report):
    if report.skipped:
        _skips[_reason(report)] += 1


def required_skips() -> dict[str, int]:
    return {r: n for r, n in _skips.items() if not any(ok in r for ok in NOT_APPLICABLE)}


def pytest_sessionfinish(session, exitstatus):
    if in_ci() and required_skips() and session.exitstatus == 0:
        session.exitstatus = 1


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if not _skips:
        return
    terminalreporter.section("skips by reason")
    for reason, n in _skips.most_common():
        terminalreporter.write_line(f"{n:4d}  {reason}")
    required = required_skips()
    if in_ci() and required:
        terminalreporter.write_line(
            f"CI=true: {sum(required.values())} test(s) skipped because something they need is missing; "
            "install it (scripts/setup.sh does) — the run fails", red=True)
