"""The JSON API against its OpenAPI 3.1 document: the document is valid, it lists exactly
the blueprint's routes, and schemathesis fuzzes the app in-process from it: no 5xx for any
generated input, every answer's status, content type, headers and body as documented."""

from __future__ import annotations

import importlib
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from orderstatus_core import OrderStatus
from orderstatus_core.testing.contracts._support import examples
from support.storefront import JANE, RETURNABLE, import_storefront, latest_code
from support.storefront_api import open_api_store, register, session_of

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
#: Bounded so that the fuzzing stays under a minute in CI (with the ``ci`` profile; a third
#: of it under ``ci-quick``).
FUZZ = settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def _routes(app: Any) -> set[tuple[str, str]]:
    """The blueprint's routes as OpenAPI paths (``/orders/{order_number}``) and methods."""
    found = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def test_the_document_is_valid_openapi_3_1(app: Any) -> None:
    """The served document passes openapi-spec-validator as OpenAPI 3.1."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_the_document_lists_exactly_the_routes(app: Any) -> None:
    """Every route of the ``api`` blueprint is in the document, and nothing else is."""
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    documented = {
        (path, method) for path, operations in document["paths"].items() for method in operations
    }
    assert documented == _routes(app)


#: The document as the API serves it (the app answers it from this same value).
import_storefront()
DOCUMENT = importlib.import_module("storefront.openapi").DOCUMENT
SCHEMA = schemathesis.openapi.from_dict(DOCUMENT)


def _takes_input(path: str, method: str) -> bool:
    """Whether an operation takes anything a request could get wrong."""
    operation = DOCUMENT["paths"][path][method.lower()]
    return any(key in operation for key in ("parameters", "requestBody", "security"))


#: Each operation in each mode (valid input, and input the document forbids), but those
#: that take no input in negative mode: there is nothing to get wrong.
CASES = [
    pytest.param(operation, mode, id=f"{operation.label}-{mode.value}")
    for operation in (result.ok() for result in SCHEMA.get_all_operations())
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
    if mode is GenerationMode.POSITIVE or _takes_input(operation.path, operation.method)
]


@pytest.mark.parametrize(("operation", "mode"), CASES)
@FUZZ
@given(data=st.data())
def test_no_input_makes_a_server_error(
    app: Any, operation: Any, mode: GenerationMode, data: st.DataObject
) -> None:
    """Whatever schemathesis sends, valid or not, the answer is no 5xx and matches the
    document, and input the document forbids is refused."""
    case = data.draw(operation.as_strategy(mode))
    case.call_and_validate(app=app, checks=[*CHECKS, negative_data_rejection])


@pytest.fixture
def desk(mail_url: str) -> Iterator[OrderStatus]:
    """The demo cast with a known-answer captcha, so that sign-up can succeed."""
    with open_api_store(mail_url) as opened:
        yield opened


@pytest.fixture
def tokens(app: Any, desk: OrderStatus, mail_dir: Path) -> dict[str, str]:
    """A guest pass for the returnable order and Jane's session, both through the API."""
    client = app.test_client(use_cookies=False)
    ask = client.post(f"/api/v1/orders/{RETURNABLE}/pass", json={"identifier": JANE})
    assert ask.status_code == 202
    desk.relay_outbox()
    granted = client.post(
        f"/api/v1/orders/{RETURNABLE}/pass/code", json={"code": latest_code(mail_dir)}
    )
    assert granted.status_code == 200
    register(client, desk, mail_dir)
    return {"guest": granted.get_json()["token"], "account": session_of(client)}


@pytest.mark.parametrize(("operation", "mode"), CASES)
@FUZZ
@given(data=st.data())
def test_no_input_with_a_valid_token_makes_a_server_error(
    app: Any, tokens: dict[str, str], operation: Any, mode: GenerationMode, data: st.DataObject
) -> None:
    """With a real pass for a real order (a real session for the account's paths),
    generated bodies and queries reach the library's commands: still no 5xx, and every
    answer as documented (not the negative-data check: the order number and the token put
    in here are valid whatever was generated)."""
    case = data.draw(operation.as_strategy(mode))
    if "order_number" in (case.path_parameters or {}):
        case.path_parameters["order_number"] = RETURNABLE
    token = tokens["account" if operation.path.startswith("/account") else "guest"]
    case.call_and_validate(app=app, checks=CHECKS, headers={"Authorization": f"Bearer {token}"})
