"""Reading and changing settings (SPEC: values marked *(default)*)."""

import marshmallow as ma
from flask import has_request_context, request
from sqlalchemy import select

from backend.audit import service as audit
from backend.data.extensions import db
from backend.data.prepared import Prepared
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.i18n.field_messages import translated
from backend.settings.defaults import SETTINGS
from backend.settings.models import SettingValue
from backend.web.access import Principal
from backend.web.errors import InvalidInput

_CACHE = "chengxin.settings"

# key -> functions(old, new) run inside the transaction that changes the setting.
_listeners: dict[str, list] = {}


def on_change(key: str):
    """Register a function to run, in the same transaction, whenever ``key`` changes."""
    if key not in SETTINGS:
        raise KeyError(key)

    def decorator(function):
        _listeners.setdefault(key, []).append(function)
        return function

    return decorator


# Built once (``Prepared``): limits read their allowances on many requests.
_STORED = Prepared(lambda: select(SettingValue.__table__.c.key, SettingValue.__table__.c.value))


def _stored() -> dict:
    # Read once per request: settings change rarely, and every worker reads the database, not a copy.
    if has_request_context() and _CACHE in request.environ:
        return request.environ[_CACHE]
    values = {key: value for key, value in _STORED.execute()}
    if has_request_context():
        request.environ[_CACHE] = values
    return values


def get(key: str):
    """The current value of a setting (its default unless an admin changed it)."""
    return in_force(key, _stored().get(key))


def in_force(key: str, stored):
    """The value of ``key`` given what ``setting_values`` holds for it (None: nothing stored), for a caller
    that read the row itself in a statement of its own."""
    return SETTINGS[key].default if stored is None else stored


def describe() -> list[dict]:
    stored = _stored()
    return [{"key": s.key, "type": s.type, "value": stored.get(s.key, s.default), "default": s.default,
             "description": s.description, "changed": s.key in stored} for s in SETTINGS.values()]


def _validate(key: str, value):
    if key not in SETTINGS:
        raise InvalidInput(_("unknown setting"), field=key, reason="unknown_setting")
    try:
        loaded = SETTINGS[key].field.deserialize(value)
    except ma.ValidationError as exc:
        raise InvalidInput("; ".join(_messages(exc.messages)), field=key) from exc
    # Store the JSON form (dates as ISO strings) exactly as it will be read back.
    return SETTINGS[key].field.serialize("v", {"v": loaded})


def _messages(messages) -> list[str]:
    if isinstance(messages, dict):
        return [f"{k}: {m}" for k, v in messages.items() for m in _messages(v)]
    if isinstance(messages, list):
        return [m for item in messages for m in _messages(item)]
    return [translated(messages)]


def update(actor: Principal, changes: dict) -> list[dict]:
    """Validate every change first, then store them all in one transaction with an audit record each."""
    if not changes:
        raise InvalidInput(_("send at least one setting to change"), reason="nothing_to_change")
    cleaned = {key: _validate(key, value) for key, value in changes.items()}
    if cleaned.get("rewards.min_amount", get("rewards.min_amount")) > cleaned.get(
            "rewards.max_amount", get("rewards.max_amount")):
        raise InvalidInput(_("must not exceed rewards.max_amount"), field="rewards.min_amount")
    changed_from = {}
    for key, value in cleaned.items():
        row = db.session.get(SettingValue, key)
        before = row.value if row else SETTINGS[key].default
        changed_from[key] = before
        if row is None:
            row = SettingValue(key=key, value=value)
            db.session.add(row)
        row.value = value
        row.updated_at = utcnow()
        row.updated_by = actor.id if actor.kind == "staff" else None
        audit.record(actor, "settings.update", "setting", key, before={"value": before}, after={"value": value})
    if has_request_context():
        request.environ.pop(_CACHE, None)
    for key, value in cleaned.items():
        for listener in _listeners.get(key, []):
            listener(changed_from[key], value)
    db.session.commit()
    if has_request_context():
        request.environ.pop(_CACHE, None)
    return describe()
