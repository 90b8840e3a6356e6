"""Every time that crosses HTTP goes through one of the two shared fields (SPEC §10): what a client sends
through the guarded ``AwareDateTime`` (an offset required, and no time that overflows when stored in UTC
or shown in Asia/Shanghai: a 422, never a 500), what the API shows through ``LocalDateTime`` (Asia/Shanghai
with +08:00). A test walks every schema of every endpoint, and every schema class of the app, so a plain
marshmallow date-time field cannot come back unnoticed."""

import importlib
import pkgutil

import marshmallow as ma
import pytest

import backend
from backend.web.access import routes
from backend.web.schemas import AwareDateTime, LocalDateTime

# Dates and times of day have no offset to get wrong and cannot overflow; they are not the concern here.
DATE_TIME_FAMILY = ma.fields.DateTime
NOT_AN_INSTANT = (ma.fields.Date, ma.fields.Time)


def instance(schema) -> ma.Schema:
    return schema() if isinstance(schema, type) else schema


def fields_of(schema, path: str = "", seen: set | None = None):
    """(path, field) of every field of ``schema``, nested schemas and list items included."""
    seen = set() if seen is None else seen
    schema = instance(schema)
    if type(schema) in seen:
        return
    seen.add(type(schema))
    for name, field in schema.fields.items():
        yield from _walk(field, f"{path}{type(schema).__name__}.{name}", seen)


def _walk(field, path, seen):
    yield path, field
    if isinstance(field, ma.fields.Nested):
        yield from fields_of(field.schema, path + " > ", seen)
    elif isinstance(field, ma.fields.List):
        yield from _walk(field.inner, path + "[]", seen)
    elif isinstance(field, ma.fields.Tuple):
        for index, inner in enumerate(field.tuple_fields):
            yield from _walk(inner, f"{path}[{index}]", seen)
    elif isinstance(field, ma.fields.Dict) and field.value_field is not None:
        yield from _walk(field.value_field, path + "{}", seen)


def kind_of(field) -> str:
    return f"{type(field).__module__}.{type(field).__name__}"


def instants(schema):
    return [(path, field) for path, field in fields_of(schema)
            if isinstance(field, DATE_TIME_FAMILY) and not isinstance(field, NOT_AN_INSTANT)]


def endpoint_schemas(app):
    """(label, schema, 'request' | 'response') for every schema an endpoint's documentation names."""
    for method, rule, view in routes(app):
        doc = getattr(view, "_apidoc", {}) or {}
        label = f"{method} {rule.rule}"
        for parameter in doc.get("arguments", {}).get("parameters", []):
            yield label, parameter["schema"], "request"
        for status, answers in doc.get("response", {}).get("responses", {}).items():
            for answer in answers if isinstance(answers, list) else [answers]:
                schema = answer.get("schema") if isinstance(answer, dict) else None
                if isinstance(schema, ma.Schema | type) and not isinstance(schema, dict):
                    yield f"{label} {status}", schema, "response"


def all_schema_classes():
    for module in pkgutil.walk_packages(backend.__path__, "backend."):
        importlib.import_module(module.name)

    def subclasses(cls):
        for sub in cls.__subclasses__():
            yield sub
            yield from subclasses(sub)

    return [cls for cls in subclasses(ma.Schema) if cls.__module__.startswith("backend.")]


def test_every_time_a_client_sends_is_the_guarded_field(app):
    wrong = [(label, path, kind_of(field)) for label, schema, kind in endpoint_schemas(app)
             if kind == "request" for path, field in instants(schema) if type(field) is not AwareDateTime]
    assert wrong == []


def test_every_time_the_api_shows_is_shown_in_china_time(app):
    wrong = [(label, path, kind_of(field)) for label, schema, kind in endpoint_schemas(app)
             if kind == "response" for path, field in instants(schema) if not isinstance(field, LocalDateTime)]
    assert wrong == []


def test_the_walk_sees_the_endpoints_times(app):
    seen = {(kind, path) for _label, schema, kind in endpoint_schemas(app) for path, _field in instants(schema)}
    assert ("request", "EventCreateSchema.occurred_at") in seen
    assert ("response", "AuditRecordSchema.at") in seen


def test_no_schema_of_the_app_holds_an_unguarded_date_time_field():
    wrong = [(cls.__qualname__, path, kind_of(field)) for cls in all_schema_classes()
             for path, field in instants(cls) if type(field) not in (AwareDateTime, LocalDateTime)]
    assert wrong == []


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"])
def test_a_time_that_overflows_is_422_even_on_a_repeated_source_ref(client, staff, residents, moment):
    from backend.credit import rubric

    rubric.create_item(None, code="SC-T1", category="social_contribution", title="条目", points=10, kind="bonus")
    resident = residents.create()
    admin = staff.headers("admin")
    body = {"id_number": resident.plain["id_number"], "rubric_code": "SC-T1",
            "occurred_at": "2026-01-05T10:00:00+08:00", "source": "credit-office", "source_ref": "CO-1"}
    assert client.post("/api/v1/admin/credit-events", json=body, headers=admin).status_code == 201
    response = client.post("/api/v1/admin/credit-events", json={**body, "occurred_at": moment}, headers=admin)
    assert response.status_code == 422, response.get_data(as_text=True)
    assert "occurred_at" in response.get_json()["errors"]["json"]
