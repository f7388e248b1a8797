"""Schemathesis generates requests from the OpenAPI spec (valid ones and invalid ones) against a live server, as a
client and as the admin: no input may cause a 500."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import hypothesis
import pytest
import schemathesis
from conftest import ADMIN_KEY, ServerProcess, free_port, server_env
from schemathesis.checks import not_a_server_error

CLIENT_TOKEN = "fuzz-client-token-0123456789"


@pytest.fixture(scope="module")
def fuzz_server(built_store, tmp_path_factory):
    root = tmp_path_factory.mktemp("fuzz")
    store = root / "store"
    shutil.copytree(built_store, store, ignore=shutil.ignore_patterns("write.lock", "thumbnails", ".server*"))
    catalogs = root / "catalogs"
    catalogs.mkdir()
    port = free_port()
    srv = ServerProcess([sys.executable, str(Path(__file__).parent / "serve_test_app.py"), str(store), str(port)],
                        # the spec is under test here, not the rate limit (a thousand requests a minute)
                        server_env(VIDREC_ADMIN_KEY=ADMIN_KEY, VIDREC_INGEST_ROOTS=str(catalogs),
                                   VIDREC_RATE_LIMIT="0"), port,
                        root / "server.log")
    srv.wait_ready(60)
    yield srv
    srv.stop()
    errors = [line for line in srv.log.read_text().splitlines() if '"level": "error"' in line]
    assert not errors, "\n".join(errors[:5])


FUZZ = hypothesis.settings(max_examples=25, deadline=None, derandomize=True, database=None,
                           suppress_health_check=list(hypothesis.HealthCheck), phases=[hypothesis.Phase.generate])


def fuzz_every_operation(base: str, secret: str) -> tuple[list[str], dict[str, int]]:
    """Generated requests for every operation of the spec; returns the failures (server errors) and the status
    codes seen."""
    schema = schemathesis.openapi.from_url(f"{base}/openapi.json")
    failures: list[str] = []
    statuses: dict[str, int] = {}
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15
    cases = [(op, mode) for op in operations for mode in schemathesis.GenerationMode]
    for operation, mode in cases:

        @FUZZ
        @hypothesis.given(case=operation.as_strategy(mode))
        def run(case):
            response = case.call_and_validate(headers={"Authorization": f"Bearer {secret}"},
                                              checks=[not_a_server_error], timeout=60)
            key = str(response.status_code)
            statuses[key] = statuses.get(key, 0) + 1

        try:
            run()
        except hypothesis.errors.Unsatisfiable:
            assert mode is schemathesis.GenerationMode.NEGATIVE  # nothing invalid to send (no parameters)
        except Exception as exc:  # keep going: report every operation that fails
            failures.append(f"{operation.label} ({mode.value}): {str(exc)[:1500]}")
    return failures, statuses


@pytest.mark.slow
def test_no_generated_request_makes_a_server_error(fuzz_server):
    failures, as_client = fuzz_every_operation(fuzz_server.base, CLIENT_TOKEN)
    more, as_admin = fuzz_every_operation(fuzz_server.base, ADMIN_KEY)
    failures += more
    assert not failures, "\n\n".join(failures)
    print("status codes as a client:", as_client, "as the admin:", as_admin)
    assert sum(as_client.values()) >= 200 and sum(as_admin.values()) >= 200
    assert as_client.get("200", 0) > 0 and as_client.get("422", 0) > 0
