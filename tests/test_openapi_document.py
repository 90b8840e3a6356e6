"""The OpenAPI document as a contract that generated clients rely on (SPEC §10): every operation named and
described, nullable values that say so, every field typed, the security each operation takes, and the
headers and media types as they are sent."""

import json
import re

import pytest

from backend.web.access import VERIFIER_SYSTEM, routes, rule_of

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture
def document(client):
    return client.get("/api/v1/openapi.json").get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def walk(node, path=()):
    """Every schema object in ``node`` with where it sits."""
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*path, index))


def test_every_operation_has_a_readable_unique_operation_id_a_summary_and_a_description(document):
    seen = {}
    for label, operation in operations(document):
        operation_id = operation.get("operationId", "")
        assert re.fullmatch(r"[a-z]+(_[a-z0-9]+)*", operation_id), f"{label}: operationId {operation_id!r}"
        assert "api_v1" not in operation_id, label
        assert operation_id not in seen, f"{label} and {seen.get(operation_id)} share {operation_id}"
        seen[operation_id] = label
        assert operation.get("summary"), f"{label} has no summary"
        assert len(operation.get("description", "")) > 20, f"{label} has no description"


def test_nullable_values_say_so_in_a_way_generators_read(document):
    for where, node in walk(document["components"]["schemas"]):
        if node.get("nullable") and "enum" in node:
            assert None in node["enum"], f"{where}: a nullable enum without null"
            assert "type" not in node, f"{where}: type beside a nullable enum"
        for branch in node.get("anyOf", []):
            assert branch != {"type": "object", "nullable": True}, f"{where}: an untyped nullable branch"


def test_every_property_has_a_type(document):
    untyped = []
    for name, schema in document["components"]["schemas"].items():
        for field, spec in schema.get("properties", {}).items():
            if not any(key in spec for key in ("type", "$ref", "allOf", "anyOf", "oneOf", "enum")):
                untyped.append(f"{name}.{field}")
    assert not untyped, "untyped: " + ", ".join(untyped)


def test_operations_name_the_security_their_access_rule_takes(app, document):
    assert document["components"]["securitySchemes"]["api_key"] == {
        "type": "apiKey", "in": "header", "name": "X-API-Key",
        "description": document["components"]["securitySchemes"]["api_key"]["description"]}
    operations_by_label = dict(operations(document))
    checked = 0
    for method, rule, view in routes(app):
        path = re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule.rule)
        operation = operations_by_label.get(f"{method} {path}")
        access = rule_of(view)
        if operation is None or access is None:
            continue
        checked += 1
        schemes = {name for requirement in operation.get("security", []) for name in requirement}
        if access.public:
            assert schemes == set(), f"{method} {path}"
            continue
        assert ("api_key" in schemes) == (VERIFIER_SYSTEM in access.roles), f"{method} {path}: {schemes}"
        assert ("bearer" in schemes) == bool(access.roles - {VERIFIER_SYSTEM}), f"{method} {path}: {schemes}"
    assert checked > 50


def test_pagination_header_is_documented_as_the_json_text_it_is(client, staff, document):
    listed = [operation for _label, operation in operations(document)
              if "X-Pagination" in operation["responses"].get("200", {}).get("headers", {})]
    assert listed
    for operation in listed:
        header = operation["responses"]["200"]["headers"]["X-Pagination"]
        assert header["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/PaginationMetadata"}
    response = client.get("/api/v1/admin/staff?page_size=1", headers=staff.headers("admin"))
    assert json.loads(response.headers["X-Pagination"])["total"] == 1


def test_the_png_of_the_credit_code_is_documented(document):
    ok = document["paths"]["/api/v1/me/credit-code.png"]["get"]["responses"]["200"]
    assert ok["content"] == {"image/png": {"schema": {"type": "string", "format": "binary"}}}
