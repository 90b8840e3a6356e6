"""Request bodies, checked before a view reads them (SPEC §10: a clear 4xx for bad input, never a 500).

- **Size.** Every request has a body limit: ``DEFAULT_LIMIT`` unless its view states its own with
  ``Blueprint.body_limit``. A Content-Length above it is refused before anything is read (413
  ``too_large``); a body sent without a length (chunked) stops at the limit with the same answer.
- **Type.** A JSON body must be sent as JSON (``Content-Type: application/json``); another type is 415
  ``unsupported_media_type``, not a "missing field".
- **Text.** JSON can carry text that UTF-8 cannot hold: a lone surrogate such as ``"\\udc80"``. No
  database, hash or log accepts it, so a body holding one is refused whole (422, naming each field)
  before any schema or service sees it. Import files read as NDJSON use the same check line by line.
"""

from collections.abc import Mapping

from flask import current_app, request
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request

from backend.i18n import _
from backend.web.errors import DomainError, InvalidInput, UnsupportedMediaType

KIB = 1024
MIB = 1024 * KIB

# Every JSON body of the API is a form's worth of fields; a megabyte leaves room for the longest texts.
DEFAULT_LIMIT = 1 * MIB

_LIMIT_ATTRIBUTE = "_body_limit"


class TooLarge(DomainError):
    status = 413
    reason = "too_large"

    def __init__(self, limit: int):
        super().__init__(_("The body is larger than this endpoint accepts (at most %(limit)s).",
                           limit=describe_size(limit)), limit=limit)


def describe_size(size: int) -> str:
    """``size`` in bytes as people write it: 1 MiB, 256 MiB, 512 KiB."""
    for unit, name in ((MIB, "MiB"), (KIB, "KiB")):
        if size >= unit and size % unit == 0:
            return f"{size // unit} {name}"
    return f"{size} bytes"


def limit(size: int):
    """Give a view its own body limit (an import file is larger than a form)."""

    def decorator(view):
        setattr(view, _LIMIT_ATTRIBUTE, size)
        return view

    return decorator


def limit_of(view) -> int:
    return getattr(view, _LIMIT_ATTRIBUTE, DEFAULT_LIMIT)


def enforce_limit() -> None:
    """Before each request: refuse a declared length over the view's limit, and cap what is read."""
    from backend.web.access import view_for

    view = view_for(current_app, request.url_rule, request.method) if request.url_rule is not None else None
    size = limit_of(view) if view is not None else DEFAULT_LIMIT
    request.max_content_length = size
    if request.content_length is not None and request.content_length > size:
        raise TooLarge(size)


def has_body(req) -> bool:
    return bool(req.content_length) or "chunked" in req.headers.get("Transfer-Encoding", "").lower()


def undecodable_fields(value, path: tuple = ()) -> list[tuple]:
    """The paths (keys and list positions) of every text in ``value`` that UTF-8 cannot encode."""
    if isinstance(value, str):
        return [] if _encodable(value) else [path]
    found = []
    if isinstance(value, Mapping):
        for key, item in value.items():
            if isinstance(key, str) and not _encodable(key):
                found.append(path + (printable(key),))
            else:
                found += undecodable_fields(item, path + (key,))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            found += undecodable_fields(item, path + (index,))
    return found


def printable(text: str) -> str:
    """``text`` with what UTF-8 cannot encode written as escapes, fit to be shown back."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


NOT_UNICODE = _("is not valid Unicode text (it holds a lone surrogate)")


def refuse_undecodable(data, location: str = "json") -> None:
    """Raise a 422 naming every field of ``data`` whose text UTF-8 cannot encode."""
    paths = undecodable_fields(data)
    if not paths:
        return
    errors: dict = {}
    for path in paths:
        node = errors
        for part in path[:-1]:
            node = node.setdefault(part, {})
        node[path[-1] if path else "_schema"] = [str(NOT_UNICODE)]
    names = ", ".join(".".join(str(part) for part in path) or "body" for path in paths)
    raise InvalidInput(_("Some fields are not valid: %(fields)s", fields=names), errors={location: errors})


class Parser(FlaskParser):
    """webargs' parser with the type and text checks above on every JSON body."""

    def load_json(self, req, schema):
        if not has_body(req):
            return core.missing
        if not is_json_request(req):
            raise UnsupportedMediaType(_("Send this body as JSON (Content-Type: application/json)."))
        data = super().load_json(req, schema)
        refuse_undecodable(data)
        return data
