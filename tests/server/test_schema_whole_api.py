"""Schemathesis over the whole API, as a shopper and as the admin: every operation, valid and invalid requests,
every check schemathesis has (no server error, status codes, content types, headers and bodies the spec declares,
invalid data refused, valid data accepted). Half of the valid requests that name a session or an item name a real
one (a session of the caller, an item of the catalog), so chatting and feedback are exercised past the 404.

The case count per operation and generation mode is capped so that CI stays within a minute; the full run
(BENCHMARKS.md, "issue 19 load") sets VIDREC_SCHEMA_CASES=85, about 2,500 cases as each caller."""

from __future__ import annotations

import os
from collections import Counter

import hypothesis
import pytest
import schemathesis
from conftest import ADMIN_KEY, demo_rows, make_settings
from ngram_encoder import NgramEncoder

from vidrec.server.app import create_app

SHOPPER_TOKEN = "Zp3kQ9vXw2LmT7rB5nYc8dHf1s"
CASES = int(os.environ.get("VIDREC_SCHEMA_CASES", "12"))


def _real_ids(schema, token: str):
    """new_session() -> a fresh session id owned by ``token``'s caller (made through the API itself)."""
    create = schema["/v1/sessions"]["POST"]

    def new_session() -> str:
        response = create.Case(body={}).call(headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 201, response.text
        return response.json()["session_id"]

    return new_session


def fuzz_whole_api(app, token: str, cases: int) -> tuple[list[str], Counter, Counter]:
    """Every operation × both generation modes, ``cases`` examples each, all checks; returns the failures, the
    status codes seen, and how many cases used a real session or item."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    new_session = _real_ids(schema, token)
    items = [r["id"] for r in demo_rows()]
    failures: list[str] = []
    statuses: Counter = Counter()
    real: Counter = Counter()
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        for mode in schemathesis.GenerationMode:
            n = 0

            @hypothesis.settings(max_examples=cases, deadline=None, derandomize=True, database=None,
                                 suppress_health_check=list(hypothesis.HealthCheck),
                                 phases=[hypothesis.Phase.generate])
            @hypothesis.given(case=operation.as_strategy(mode))
            def run(case):
                nonlocal n
                n += 1
                # a valid request stays valid with a real id in place of a generated one (never an invalid one:
                # the id may be what was made invalid)
                with_session = False
                if mode is schemathesis.GenerationMode.POSITIVE and n % 2:  # noqa: B023 - run() runs here
                    if "session_id" in (case.path_parameters or {}):
                        with_session = True
                        case.path_parameters["session_id"] = new_session()
                        real["session"] += 1
                    if "item_id" in (case.path_parameters or {}):
                        case.path_parameters["item_id"] = items[n % len(items)]  # noqa: B023
                        real["item"] += 1
                    if isinstance(case.body, dict) and "item_id" in case.body:
                        case.body["item_id"] = items[n % len(items)]  # noqa: B023
                        real["item"] += 1
                        if "session_id" in case.body:
                            with_session = True
                            case.body["session_id"] = new_session()
                            real["session"] += 1
                response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
                statuses[str(response.status_code)] += 1
                if with_session and response.status_code < 300:
                    real[f"{operation.method.upper()} {operation.path} 2xx"] += 1  # noqa: B023

            try:
                run()
            except hypothesis.errors.Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing invalid to send (no parameters)
            except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported, not the first
                failures.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")
    return failures, statuses, real


@pytest.mark.slow
def test_whole_api_as_shopper_and_admin_no_server_error_no_spec_mismatch(store_copy, tmp_path):
    catalogs = tmp_path / "catalogs"
    catalogs.mkdir()
    app = create_app(make_settings(store_copy, admin_key=ADMIN_KEY, rate_limit="0", max_sessions=0,
                                   ingest_roots=(catalogs,)), text_encoder=NgramEncoder())
    report = {}
    failures = []
    for who, token in (("shopper", SHOPPER_TOKEN), ("admin", ADMIN_KEY)):
        failed, statuses, real = fuzz_whole_api(app, token, CASES)
        failures += [f"as {who}: {f}" for f in failed]
        report[who] = (sum(statuses.values()), dict(statuses), dict(real))
    print("cases, status codes, real ids:", report)
    assert not failures, "\n\n".join(failures)
    for who, (total, statuses, real) in report.items():
        assert total >= 20 * CASES, (who, total)  # every operation and mode ran, not a loop that found nothing
        assert statuses.get("200", 0) + statuses.get("201", 0) > 0 and statuses.get("422", 0) > 0, (who, statuses)
        assert real["session"] > 0 and real["item"] > 0, (who, real)
    # the engine ran: chat turns, streamed turns and feedback buttons answered on real sessions
    for operation in ("POST /v1/sessions/{session_id}/messages", "POST /v1/sessions/{session_id}/messages/stream",
                      "POST /v1/feedback", "GET /v1/sessions/{session_id}"):
        assert report["shopper"][2].get(f"{operation} 2xx", 0) >= CASES // 4, (operation, report["shopper"][2])
