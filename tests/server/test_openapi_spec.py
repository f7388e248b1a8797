"""The OpenAPI spec says what the server enforces: id patterns, non-blank text, the answers it may give, and the
methods a 405's Allow lists; schemathesis, in process, finds no request the spec calls valid that the server
refuses."""

from __future__ import annotations

import re
import sys

import hypothesis
import pytest
import schemathesis
from conftest import ADMIN_KEY, make_settings
from hypothesis import strategies as st
from ngram_encoder import NgramEncoder
from pydantic import TypeAdapter, ValidationError

from vidrec.catalog import _id_problem
from vidrec.server.app import create_app
from vidrec.server.dependencies import ItemPath
from vidrec.server.schemas import (
    ITEM_ID_PATTERN,
    NOT_BLANK_PATTERN,
    SESSION_ID_PATTERN,
    USER_ID_PATTERN,
    ItemId,
    ShopperText,
)

PATH_PATTERNS = {"item_id": ITEM_ID_PATTERN, "session_id": SESSION_ID_PATTERN, "user_id": USER_ID_PATTERN}
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


@pytest.fixture
def spec(client) -> dict:
    return client.app.openapi()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def test_path_ids_declare_the_pattern_the_server_enforces(spec):
    seen = set()
    for path, operations in spec["paths"].items():
        for operation in operations.values():
            for param in operation.get("parameters", []):
                if param["in"] == "path" and param["name"] in PATH_PATTERNS:
                    assert param["schema"]["pattern"] == PATH_PATTERNS[param["name"]], (path, param)
                    seen.add(param["name"])
    assert seen == set(PATH_PATTERNS)
    feedback = _resolve(spec, spec["paths"]["/v1/feedback"]["post"]["requestBody"]["content"]["application/json"]
                        ["schema"])
    assert feedback["properties"]["item_id"]["pattern"] == ITEM_ID_PATTERN
    assert {tuple(alt["required"]) for alt in feedback["anyOf"]} == {("session_id",), ("user_id",)}


EDGE_IDS = ["d001", ".", "..", "...", ".a", "a.", "..a", "a/b", "a\\b", "a#b", "a?b", "a%b", "a\x00", "a\x1f",
            "a\x7f", "a\x80", "", "x" * 128, "x" * 129, ".x" + "y" * 126, "..x" + "y" * 125, "..x" + "y" * 126,
            "abc\n", "é", "商品-1", " ", "a b"]


@hypothesis.settings(max_examples=400, deadline=None, derandomize=True, database=None)
@hypothesis.given(st.one_of(st.sampled_from(EDGE_IDS), st.text(max_size=140),
                            st.text(alphabet="./\\#?%\n\x00ab", max_size=5)))
def test_the_item_id_pattern_is_the_catalog_rule(item_id):
    accepted = _id_problem(item_id) is None
    # fullmatch: a JSON Schema "$" is the end of the string, while Python's also matches before a last "\n"
    assert (re.fullmatch(ITEM_ID_PATTERN, item_id) is not None) == accepted, repr(item_id)
    for adapter in (TypeAdapter(ItemId), TypeAdapter(ItemPath)):  # pydantic's own regex engine agrees
        try:
            adapter.validate_python(item_id)
            valid = True
        except ValidationError:
            valid = False
        assert valid == accepted, repr(item_id)


def test_the_not_blank_pattern_is_the_text_rule(spec):
    for name, field in (("MessageIn", "text"), ("SearchIn", "query"), ("ParseIn", "text")):
        prop = spec["components"]["schemas"][name]["properties"][field]
        assert prop["minLength"] == 1 and prop["pattern"] == NOT_BLANK_PATTERN, (name, prop)
    pattern = re.compile(NOT_BLANK_PATTERN)
    for code in range(sys.maxunicode + 1):
        if 0xD800 <= code <= 0xDFFF:
            continue
        c = chr(code)
        blank = c.isspace() or bool(_CONTROL.match(c))
        assert (pattern.search(c) is None) == blank, hex(code)
    text = TypeAdapter(ShopperText)
    for blank in (" ", "\u3000\t", "\x01\x02", "\xa0"):
        with pytest.raises(ValidationError):
            text.validate_python(blank)
    assert text.validate_python(" 连衣裙 ") == " 连衣裙 "


def test_every_operation_with_errors_declares_429(spec):
    checked = 0
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if "422" in operation["responses"] and path not in ("/healthz", "/readyz"):
                assert "429" in operation["responses"], (method, path)
                checked += 1
    assert checked >= 10  # the shopper and admin operations, not a loop that found nothing


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "abcdefgh12", path)


def test_405_lists_exactly_the_methods_of_the_path(client, spec):
    checked = 0
    for path, operations in spec["paths"].items():
        declared = {m.upper() for m in operations}
        url = _concrete(path)
        for method in METHODS:
            if method in declared:
                continue
            r = client.request(method, url)
            assert r.status_code == 405, (method, path, r.status_code)
            allowed = {m.strip() for m in r.headers["allow"].split(",")}
            assert allowed - {"HEAD"} == declared, (method, path, r.headers["allow"])
            assert r.json()["error"] == "method_not_allowed"
            checked += 1
    assert checked > 40
    video = client.request("PUT", "/v1/items/d001/video")
    assert video.headers["allow"] == "GET, HEAD"  # HEAD is served there (players ask for the size first)


def test_schemathesis_finds_no_valid_request_refused_nor_a_server_error(store_copy):
    """Generated valid requests for every operation, the admin's ingest included (a generated catalog path that
    does not exist answers 404, one outside the ingest roots 403), a few examples each."""
    app = create_app(make_settings(store_copy, admin_key=ADMIN_KEY, rate_limit="0"), text_encoder=NgramEncoder())
    schema = schemathesis.openapi.from_asgi("/openapi.json", app)
    failures = []
    operations = [r.ok() for r in schema.get_all_operations()]
    assert len(operations) >= 15
    for operation in operations:
        token = ADMIN_KEY if operation.path.startswith("/v1/ingest") else "Zp3kQ9vXw2LmT7rB5nYc8dHf1s"

        @hypothesis.settings(max_examples=6, deadline=None, derandomize=True, database=None,
                             suppress_health_check=list(hypothesis.HealthCheck), phases=[hypothesis.Phase.generate])
        @hypothesis.given(case=operation.as_strategy(schemathesis.GenerationMode.POSITIVE))
        def run(case):
            case.call_and_validate(headers={"Authorization": f"Bearer {token}"})  # noqa: B023 - run() runs here

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # every failing operation is reported, not the first only
            failures.append(f"{operation.label}: {str(exc)[:1500]}")
    assert not failures, "\n\n".join(failures)


def test_a_pattern_refusal_says_what_is_wrong_in_words(client):
    blank = client.post("/v1/search", json={"query": " \u3000 "})
    assert blank.status_code == 422 and blank.json()["message"] == "body.query: text is blank; say what you are " \
                                                                   "looking for"
    bad_id = client.post("/v1/feedback", json={"user_id": "u", "item_id": "a/b", "event": "buy"},
                         headers={"Authorization": "Bearer Zp3kQ9vXw2LmT7rB5nYc8dHf1s"})
    assert bad_id.status_code == 422 and "not an item id" in bad_id.json()["message"]
    assert "pattern" not in bad_id.text


@pytest.mark.parametrize("path, body, where", [
    ("/v1/search", {"query": "红色连衣裙", "k": "5"}, "body.k"),
    ("/v1/search", {"query": "red dress", "k": True}, "body.k"),
    ("/v1/search", {"query": "red dress", "k": 5.5}, "body.k"),
    ("/v1/feedback", {"user_id": "u1", "item_id": "d001", "event": "play", "value": "30"}, "body.value"),
    ("/v1/feedback", {"user_id": "u1", "item_id": "d001", "event": "play", "value": False}, "body.value"),
    ("/v1/sessions", {"user_id": 17}, "body.user_id"),
    ("/v1/ingest", {"catalog": "c.csv", "workers": "2"}, "body.workers"),
    ("/v1/ingest", {"catalog": "c.csv", "prune": "true"}, "body.prune"),
    ("/v1/ingest", {"catalog": "c.csv", "force": 1}, "body.force"),
])
def test_a_body_value_of_another_json_type_is_refused_not_coerced(client, path, body, where):
    """The spec says integer, number or boolean: a string (or a boolean for a number) is a 422 naming the field, as
    schemathesis's negative cases expect, not silently read as what it looks like."""
    token = ADMIN_KEY if path == "/v1/ingest" else "Zp3kQ9vXw2LmT7rB5nYc8dHf1s"
    r = client.post(path, json=body, headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 422, (body, r.status_code, r.text)
    assert r.json()["message"].startswith(f"{where}: "), r.json()


def test_json_integers_and_numbers_are_accepted_as_json_schema_reads_them(client, spec):
    """5.0 is an integer to JSON Schema, and 30 a number: both accepted, and the declared bounds still apply."""
    h = {"Authorization": "Bearer Zp3kQ9vXw2LmT7rB5nYc8dHf1s"}
    r = client.post("/v1/search", json={"query": "red dress", "k": 2.0}, headers=h)
    assert r.status_code == 200 and len(r.json()["results"]) == 2
    assert client.post("/v1/search", json={"query": "red dress", "k": 51}, headers=h).status_code == 422
    play = client.post("/v1/feedback", json={"user_id": "u1", "item_id": "d001", "event": "play", "value": 30},
                       headers=h)
    assert play.status_code == 200 and play.json()["recorded"] is True
    workers = _resolve(spec, spec["paths"]["/v1/ingest"]["post"]["requestBody"]["content"]["application/json"]
                       ["schema"])["properties"]["workers"]["anyOf"][0]
    assert workers == {"type": "integer", "minimum": 1, "maximum": 64}


def test_a_new_session_links_to_the_operations_that_take_its_id(spec, client):
    """The 201 of POST /v1/sessions declares OpenAPI links whose operationRef resolves to an operation taking a
    session_id path parameter, fed from the response's session_id; following one works."""
    links = spec["paths"]["/v1/sessions"]["post"]["responses"]["201"]["links"]
    assert set(links) == {"SendMessage", "StreamMessage", "GetSession", "DeleteSession"}
    for name, link in links.items():
        ref = link["operationRef"]
        assert ref.startswith("#/paths/"), (name, ref)
        path, method = ref[len("#/paths/"):].rsplit("/", 1)
        path = path.replace("~1", "/").replace("~0", "~")
        operation = spec["paths"][path][method]
        assert any(p["name"] == "session_id" and p["in"] == "path" for p in operation["parameters"]), (name, path)
        assert link["parameters"] == {"session_id": "$response.body#/session_id"}
    h = {"Authorization": "Bearer Zp3kQ9vXw2LmT7rB5nYc8dHf1s"}
    created = client.post("/v1/sessions", json={}, headers=h).json()
    followed = client.post(f"/v1/sessions/{created['session_id']}/messages", json={"text": "red dress"}, headers=h)
    assert followed.status_code == 200 and followed.json()["session_id"] == created["session_id"]
