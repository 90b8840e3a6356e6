"""Every operation of the OpenAPI document gets the classes of bad input that once reached a 500, and
answers each with a clear 4xx and a reason (SPEC §10). The operations come from the document itself, so a
new endpoint is tried by itself.

- text that UTF-8 cannot hold (a lone surrogate) in a JSON body, as a value and as a key: 422 naming it;
- a JSON body sent as another type: 415;
- a body declared larger than the operation's limit: 413, before any of it is read;
- an import file that is no such file (``1``, a form field instead of a file): 422; a CSV field longer
  than the csv module reads: an error of its line;
- a method the path does not answer: 405 with ``Allow``;
- an undecodable percent-encoded byte sequence in every query and path parameter: no 5xx.

Every test runs in each language (SPEC §10): each refusal's message and field messages are Chinese by
default and English with ``Accept-Language: en``.
"""

import io
import json
from types import SimpleNamespace

import pytest

from tests.languages import field_messages, language_client, wrong_language  # noqa: F401 - a fixture
from tests.test_openapi_fuzz import Credentials, unlimited  # noqa: F401 - a fixture used here too

OPENAPI = "/api/v1/openapi.json"
METHODS = ("get", "post", "put", "patch", "delete")
SURROGATE = "\\udc80"  # as JSON writes it: the text holds U+DC80 alone
UNDECODABLE = "%ED%B2%80"  # the same surrogate as UTF-8 bytes, which no decoder accepts


class ExplodingStream(io.BytesIO):
    """A body that must not be read."""

    def read(self, *args):
        raise AssertionError("the body was read")

    readline = read


def declared_terabyte() -> dict:
    """A request that says it carries a tebibyte, and whose body explodes if read."""
    return {"input_stream": ExplodingStream(), "environ_overrides": {"CONTENT_LENGTH": str(1 << 40)}}


@pytest.fixture
def client(language_client):  # noqa: F811 - the fixture imported above
    """Every test here runs once in each language."""
    return language_client


@pytest.fixture
def document(client):
    return client.get(OPENAPI).get_json()


def operations(document):
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method], item.get("parameters", []) + item[method].get("parameters", [])


def url(path: str, parameters: list, value: str | None = None) -> str:
    for parameter in parameters:
        if parameter["in"] == "path":
            number = parameter["schema"].get("type") == "integer"
            path = path.replace("{" + parameter["name"] + "}", "1" if number or value is None else value)
    return path


def resolve(document, schema: dict) -> dict:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


@pytest.fixture
def caller(app, client, unlimited):  # noqa: F811
    credentials = Credentials(app)

    def call(path, method, operation_path, **kwargs):
        headers = credentials.headers(SimpleNamespace(method=method, path=operation_path,
                                                      label=f"{method.upper()} {operation_path}"))
        response = client.open(path, method=method.upper(), headers={**headers, **kwargs.pop("headers", {})},
                               **kwargs)
        credentials.answered(response.status_code)
        return response

    return call


def refusal(response, status: int, reason: str | None = None) -> str | None:
    """What is wrong with ``response`` as the refusal expected, or None."""
    body = response.get_json(silent=True) or {}
    if response.status_code != status:
        return f"answered {response.status_code} instead of {status}: {response.get_data(as_text=True)[:300]}"
    if reason and body.get("reason") != reason:
        return f"reason {body.get('reason')!r} instead of {reason!r}"
    language = language_of(response)
    for message in [body.get("message"), *field_messages(body.get("errors") or {})]:
        if problem := wrong_language(message, language):
            return problem
    return None


def language_of(response) -> str:
    return "en" if "en" in response.request.headers.get("Accept-Language", "") else "zh"


def test_every_json_body_refuses_lone_surrogates_wrong_types_and_oversize(document, caller):
    problems, tried = [], 0
    for path, method, operation, parameters in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" not in content:
            continue
        tried += 1
        schema = resolve(document, content["application/json"]["schema"])
        field = next(iter(schema.get("properties", {})), "anything")
        target = url(path, parameters)
        label = f"{method.upper()} {path}"

        as_value = f'{{"{field}": "a{SURROGATE}b"}}'
        response = caller(target, method, path, data=as_value, content_type="application/json")
        problem = refusal(response, 422, "invalid_input")
        if problem is None and field not in json.dumps(response.get_json()["errors"]["json"]):
            problem = "the field is not named"
        problems += [f"{label}, surrogate in a value: {problem}"] if problem else []

        as_key = f'{{"{SURROGATE}": 1}}'
        response = caller(target, method, path, data=as_key, content_type="application/json")
        problem = refusal(response, 422, "invalid_input")
        problems += [f"{label}, surrogate in a key: {problem}"] if problem else []

        response = caller(target, method, path, data=json.dumps({field: "x"}), content_type="text/plain")
        problem = refusal(response, 415, "unsupported_media_type")
        problems += [f"{label}, sent as text/plain: {problem}"] if problem else []

        response = caller(target, method, path, **declared_terabyte(),
                          content_type="application/json")
        problem = refusal(response, 413, "too_large")
        problems += [f"{label}, 1 TiB declared: {problem}"] if problem else []

        for status in ("413", "415", "422"):
            if status not in operation["responses"]:
                problems.append(f"{label} does not document {status}")
    assert tried > 10, "the document lists too few JSON bodies: is the walk broken?"
    assert not problems, "\n".join(problems)


def test_every_import_refuses_what_is_not_its_file_and_reports_unreadable_lines(document, caller):
    problems, tried = [], 0
    for path, method, operation, parameters in operations(document):
        content = operation.get("requestBody", {}).get("content", {})
        if "text/csv" not in content:
            continue
        tried += 1
        target, label = url(path, parameters), f"{method.upper()} {path}"
        header = content["text/csv"]["example"].strip()

        response = caller(target, method, path, data=b"1", content_type="text/csv")
        problems += [f"{label}, body 1: {p}"] if (p := refusal(response, 422, "columns_missing")) else []

        response = caller(target, method, path, data={"file": "1"}, content_type="multipart/form-data")
        problems += [f"{label}, a form field, not a file: {p}"] if (p := refusal(response, 422)) else []

        response = caller(target, method, path, data=b'{"a": 1}', content_type="application/json")
        problems += [f"{label}, JSON: {p}"] if (p := refusal(response, 415, "unsupported_media_type")) else []

        response = caller(target, method, path, **declared_terabyte(),
                          content_type="text/csv")
        problems += [f"{label}, 1 TiB declared: {p}"] if (p := refusal(response, 413, "too_large")) else []

        columns = header.count(",") + 1
        huge = ",".join(["x" * 140_000] + ["y"] * (columns - 1))
        for how in ("raw", "multipart"):
            text = f"{header}\n{huge}\n"
            if how == "raw":
                response = caller(target, method, path, data=text.encode(), content_type="text/csv")
            else:
                response = caller(target, method, path, content_type="multipart/form-data",
                                  data={"file": (io.BytesIO(text.encode()), "rows.csv", "text/csv")})
            body = response.get_json(silent=True) or {}
            lines = {error["line"] for error in body.get("errors", [])} if response.status_code == 200 else set()
            if 2 not in lines:
                problems.append(f"{label}, a 140 KB field ({how}): answered {response.status_code} "
                                f"{response.get_data(as_text=True)[:300]}")
            for error in body.get("errors", []) if response.status_code == 200 else []:
                if problem := wrong_language(error.get("message"), language_of(response)):
                    problems.append(f"{label}, line {error['line']} ({how}): {problem}")

        for status in ("413", "415", "422"):
            if status not in operation["responses"]:
                problems.append(f"{label} does not document {status}")
    assert tried >= 2, "the document lists no import: is the walk broken?"
    assert not problems, "\n".join(problems)


def test_every_path_answers_a_method_it_lacks_with_405_and_allow(document, client):
    problems = []
    for path, item in document["paths"].items():
        documented = {method for method in METHODS if method in item}
        missing = [method for method in METHODS if method not in documented]
        if not missing:
            continue
        response = client.open(url(path, item.get("parameters", []) + [
            p for method in documented for p in item[method].get("parameters", [])]), method=missing[0].upper())
        if (problem := refusal(response, 405, "method_not_allowed")) is not None:
            problems.append(f"{missing[0].upper()} {path}: {problem}")
            continue
        allowed = {name.strip().lower() for name in response.headers.get("Allow", "").split(",")}
        if not documented <= allowed:
            problems.append(f"{missing[0].upper()} {path}: Allow is {response.headers.get('Allow')!r}")
    assert not problems, "\n".join(problems)


def test_no_parameter_reaches_a_500_with_undecodable_bytes(document, caller):
    problems = []
    for path, method, operation, parameters in operations(document):
        if operation.get("requestBody"):
            continue
        query = "&".join(f"{p['name']}={UNDECODABLE}" for p in parameters if p["in"] == "query")
        target = url(path, parameters, value=UNDECODABLE) + (f"?{query}" if query else "")
        response = caller(target, method, path)
        listed = set(operation["responses"])
        if response.status_code >= 500 or str(response.status_code) not in listed:
            problems.append(f"{method.upper()} {target}: {response.status_code} (listed: {sorted(listed)}) "
                            f"{response.get_data(as_text=True)[:200]}")
        elif response.status_code >= 400 and (problem := refusal(response, response.status_code)):
            problems.append(f"{method.upper()} {target}: {problem}")
    assert not problems, "\n".join(problems)
