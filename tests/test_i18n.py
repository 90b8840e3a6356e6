"""Language (SPEC §10): every message people read has its Chinese; Chinese by default, English on request;
marshmallow's own messages too."""

import ast
import inspect
from pathlib import Path

import marshmallow as ma
import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from marshmallow import fields, validate

from backend.config import project_root
from backend.i18n import catalogue_path
from backend.i18n.field_messages import TEMPLATES, translated, translated_errors
from tests.languages import CHINESE, wrong_language

ROOT = project_root()


def extracted() -> Catalog:
    """The messages of the code as ``make translations`` extracts them (babel.cfg), read afresh."""
    catalogue = Catalog()
    method_map = [("backend/**.py", "python")]
    for filename, lineno, message, comments, context in extract_from_dir(str(ROOT), method_map):
        if filename.startswith("backend"):
            catalogue.add(message, locations=[(filename, lineno)], auto_comments=comments, context=context)
    return catalogue


def chinese_catalogue() -> Catalog:
    with catalogue_path("zh_CN").open("rb") as file:
        return read_po(file, locale="zh_CN")


def test_babel_cfg_extracts_the_backend():
    """The test reads the code as make translations does."""
    assert "[python: backend/**.py]" in (ROOT / "babel.cfg").read_text()
    assert len(extracted()) > 200


def test_every_message_in_the_code_has_its_chinese_translation():
    """A message written with _() and no msgstr in messages.po fails here: run `make translations` and
    write its Chinese."""
    chinese = chinese_catalogue()
    missing = []
    for message in extracted():
        if not message.id:
            continue
        translation = chinese.get(message.id, context=message.context)
        if translation is None or not translation.string or translation.fuzzy:
            where = ", ".join(f"{file}:{line}" for file, line in message.locations)
            missing.append(f"{message.id!r} ({where})")
    assert not missing, ("messages without Chinese (run `make translations`, then write each msgstr in "
                         f"{catalogue_path().relative_to(ROOT)}):\n" + "\n".join(missing))


def _refusals() -> set[str]:
    """The names of every refusal (``DomainError`` and its subclasses) the app defines."""
    from backend import create_app  # noqa: F401 - importing the app imports every domain's refusals
    from backend.web.errors import DomainError

    found, waiting = set(), [DomainError]
    while waiting:
        kind = waiting.pop()
        found.add(kind.__name__)
        waiting += kind.__subclasses__()
    return found


def test_no_message_is_written_around_the_mechanism():
    """A validator's ``error=``, a ValidationError or a refusal (any ``DomainError``) given a bare string is
    shown to people as it is: it must go through ``_()`` like every other message, or it reaches the
    reader in English."""
    refusals = _refusals()
    bare = []
    for path in sorted((ROOT / "backend").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            name = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
            given = [keyword.value for keyword in call.keywords if keyword.arg == "error"]
            if name in refusals:
                given += [keyword.value for keyword in call.keywords if keyword.arg == "message"]
            if (name == "ValidationError" or name in refusals) and call.args:
                given.append(call.args[0])
            bare += [f"{path.relative_to(ROOT)}:{call.lineno}" for value in given if isinstance(value, ast.JoinedStr)
                     or (isinstance(value, ast.Constant) and isinstance(value.value, str))]
    assert bare == []


def test_the_check_for_bare_messages_knows_every_refusal():
    assert {"DomainError", "Unauthenticated", "NotFound", "CodeInvalid", "ResidentNotActive"} <= _refusals()


def test_every_translation_is_chinese_and_keeps_its_placeholders():
    chinese = chinese_catalogue()
    problems = [f"{message.id!r}: {'; '.join(str(e) for e in errors)}"
                for message, errors in chinese.check() if errors]
    problems += [f"{m.id!r} is not translated into Chinese: {m.string!r}"
                 for m in chinese if m.id and not CHINESE.search(m.string or "")]
    assert not problems, "\n".join(problems)


def test_the_catalogue_holds_no_message_the_code_no_longer_has():
    code = {message.id for message in extracted() if message.id}
    stale = [m.id for m in chinese_catalogue() if m.id and m.id not in code]
    assert not stale, f"run `make translations` to drop messages no longer in the code: {stale}"


def test_the_catalogue_is_read_from_the_po_file_alone():
    """No compiled catalogue to forget or to conflict: the .po is compiled in memory at start."""
    translations = Path(catalogue_path()).parents[2]
    assert not list(translations.rglob("*.mo"))


# -- a refused request in each language ------------------------------------------------------------------

def test_a_refused_request_is_chinese_by_default(client):
    body = client.get("/api/v1/me").get_json()
    assert (body["reason"], body["message"]) == ("unauthenticated", "请先登录。")


def test_a_refused_request_is_english_on_request(client):
    body = client.get("/api/v1/me", headers={"Accept-Language": "en"}).get_json()
    assert (body["reason"], body["message"]) == ("unauthenticated", "Sign in first.")


@pytest.mark.parametrize(("accept", "message"), [
    ("zh-CN,zh;q=0.9", "用户名或密码错误。"),
    ("zh", "用户名或密码错误。"),
    ("en-US,en;q=0.9", "Wrong username or password."),
    ("en;q=0.5, zh-CN;q=0.9", "用户名或密码错误。"),
    ("fr-FR", "用户名或密码错误。"),
])
def test_accept_language_chooses_the_language_and_nothing_else_changes(client, staff, accept, message):
    staff.create("reviewer", username="clerk")
    response = client.post("/api/v1/auth/staff-login", json={"username": "clerk", "password": "wrong password!"},
                           headers={"Accept-Language": accept})
    body = response.get_json()
    assert (response.status_code, body["reason"], body["message"]) == (401, "invalid_credentials", message)


def test_field_errors_keep_field_names_and_translate_their_messages(client, staff):
    headers = staff.headers("admin")
    zh = client.post("/api/v1/admin/staff", json={"username": "x"}, headers=headers).get_json()
    en = client.post("/api/v1/admin/staff", json={"username": "x"},
                     headers={**headers, "Accept-Language": "en"}).get_json()
    assert set(zh["errors"]["json"]) == set(en["errors"]["json"]) >= {"display_name", "password", "role"}
    assert zh["reason"] == en["reason"] == "invalid_input"
    assert zh["errors"]["json"]["role"] == ["此项为必填项。"]
    assert en["errors"]["json"]["role"] == ["Missing data for required field."]
    assert zh["message"].startswith("以下内容不符合要求：") and "display_name" in zh["message"]
    assert en["message"].startswith("Some fields are not valid: ")


def test_an_unknown_url_and_a_wrong_method_answer_in_the_language(client):
    assert client.get("/api/v1/no-such-thing").get_json()["message"] == "未找到。"
    assert client.get("/api/v1/no-such-thing", headers={"Accept-Language": "en"}).get_json()["message"] == \
        "Not found."
    assert client.delete("/api/v1/health").get_json()["message"] == "该接口不支持这种请求方法。"


def test_a_message_with_values_is_translated_with_them(client, staff):
    headers = staff.headers("admin")
    body = {"username": "newclerk", "display_name": "新同事", "password": "short", "role": "reviewer"}
    zh = client.post("/api/v1/admin/staff", json=body, headers=headers).get_json()
    en = client.post("/api/v1/admin/staff", json=body, headers={**headers, "Accept-Language": "en"}).get_json()
    assert zh["reason"] == en["reason"] == "weak_password"
    assert zh["errors"]["json"]["password"] == ["至少需要 10 个字符"]
    assert en["errors"]["json"]["password"] == ["must be at least 10 characters"]


# -- marshmallow's own messages ---------------------------------------------------------------------------

class EveryKind(ma.Schema):
    count = fields.Integer(required=True)
    amount = fields.Float()
    flag = fields.Boolean()
    name = fields.String(validate=validate.Length(min=2, max=4))
    stars = fields.Integer(validate=validate.Range(min=1, max=5))
    kind = fields.String(validate=validate.OneOf(["bonus", "penalty"]))
    at = fields.AwareDateTime()
    day = fields.Date()
    email = fields.Email()
    tags = fields.List(fields.String())
    code = fields.String(validate=validate.Regexp(r"[A-Z]+"))
    note = fields.String(allow_none=False)


BAD = {"amount": "lots", "flag": "perhaps", "name": "x", "stars": 9, "kind": "other", "at": "2026-12-03T10:00:00",
       "day": "3 Dec", "email": "nobody", "tags": "one", "code": "abc", "note": None, "extra": 1}
ENGLISH = {
    "count": ["Missing data for required field."],
    "amount": ["Not a valid number."],
    "flag": ["Not a valid boolean."],
    "name": ["Length must be between 2 and 4."],
    "stars": ["Must be greater than or equal to 1 and less than or equal to 5."],
    "kind": ["Must be one of: bonus, penalty."],
    "at": ["Not a valid aware datetime."],
    "day": ["Not a valid date."],
    "email": ["Not a valid email address."],
    "tags": ["Not a valid list."],
    "code": ["String does not match expected pattern."],
    "note": ["Field may not be null."],
    "extra": ["Unknown field."],
}
CHINESE_MESSAGES = {
    "count": ["此项为必填项。"],
    "amount": ["不是有效的数字。"],
    "flag": ["不是有效的布尔值（true 或 false）。"],
    "name": ["长度须在 2 到 4 之间。"],
    "stars": ["须在 1 到 5 之间。"],
    "kind": ["须为以下之一：bonus, penalty。"],
    "at": ["不是带时区的有效日期时间。"],
    "day": ["不是有效的日期。"],
    "email": ["不是有效的电子邮箱地址。"],
    "tags": ["不是有效的列表。"],
    "code": ["格式不符合要求。"],
    "note": ["该项不能为空值。"],
    "extra": ["不认识的字段。"],
}


def library_errors() -> dict:
    with pytest.raises(ma.ValidationError) as refused:
        EveryKind().load(BAD)
    assert refused.value.messages == ENGLISH  # what marshmallow itself says
    return refused.value.messages


@pytest.mark.parametrize(("accept", "expected"), [(None, CHINESE_MESSAGES), ("en", ENGLISH)])
def test_marshmallow_messages_of_every_field_kind_in_each_language(app, accept, expected):
    errors = library_errors()
    with app.test_request_context(headers={"Accept-Language": accept} if accept else {}):
        assert translated_errors(errors) == expected


@pytest.mark.parametrize(("english", "chinese"), [
    ("Shorter than minimum length 3.", "短于最小长度 3。"),
    ("Longer than maximum length 20.", "超过最大长度 20。"),
    ("Must be greater than or equal to 1.", "须不小于 1。"),
    ("Must be less than 100.", "须小于 100。"),
    ("Not a valid integer.", "不是有效的整数。"),
    ('"yesterday" cannot be formatted as a datetime.', "“yesterday”无法表示为日期时间。"),
])
def test_marshmallow_messages_with_values_keep_their_values(app, english, chinese):
    with app.test_request_context():
        assert translated(english) == chinese
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert translated(english) == english


def test_a_query_parameter_of_the_wrong_type_is_refused_in_chinese(client, staff):
    headers = staff.headers("admin")
    zh = client.get("/api/v1/admin/audit?page=abc", headers=headers).get_json()
    en = client.get("/api/v1/admin/audit?page=abc", headers={**headers, "Accept-Language": "en"}).get_json()
    assert zh["errors"]["query"]["page"] == ["不是有效的整数。"]
    assert en["errors"]["query"]["page"] == ["Not a valid integer."]


def library_messages() -> set[str]:
    """Every message template marshmallow's fields, validators and schemas (and webargs') have."""
    import webargs.fields

    messages = set(ma.Schema._default_error_messages.values())
    classes = [fields.Field, webargs.fields.DelimitedList]
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        messages.update(vars(cls).get("default_error_messages", {}).values())
    for _name, cls in inspect.getmembers(validate, inspect.isclass):
        for attribute, value in vars(cls).items():
            if attribute.startswith(("message", "default_message")) and isinstance(value, str):
                messages.add(value)
    return messages


def test_every_marshmallow_message_has_a_template():
    """A marshmallow upgrade with a new message fails here until field_messages.TEMPLATES lists it."""
    def english_of(template: str) -> str:
        # marshmallow's {name} (and Range's composed "{min_op} {{min}}") against our %(name)s
        return template.replace("{input!r}", "%(input)s").replace("{{", "{").replace("}}", "}")

    ours = {t.replace("%(", "{").replace(")s", "}") for t in TEMPLATES}
    composed_range = {m for m in library_messages() if "{min_op}" in m or "{max_op}" in m}
    temporal = {m for m in library_messages() if "{obj_type}" in m or "{awareness}" in m}
    words = {"greater than or equal to", "greater than", "less than or equal to", "less than"}
    missing = [m for m in library_messages() - composed_range - temporal - words
               if english_of(m).replace("%(input)s", "{input}") not in ours]
    assert not missing, f"marshmallow messages without a template in field_messages.TEMPLATES: {missing}"


def test_messages_of_our_own_pass_through_unchanged(app):
    with app.test_request_context():
        assert translated("请先登录。") == "请先登录。"
        assert translated_errors({"json": {"a": ["自定义"], "b": 3}}) == {"json": {"a": ["自定义"], "b": 3}}


def test_wrong_language_spots_english_under_the_default():
    assert wrong_language("Sign in first.", "zh")
    assert wrong_language("请先登录。", "en")
    assert wrong_language("请先登录。", "zh") is None
    assert wrong_language("", "zh")
