"""The HTTP frame every domain shares: the API object, its error body, and blueprints that state access."""

import logging
import re

import flask_smorest
import marshmallow as ma
from flask import request
from werkzeug.exceptions import MethodNotAllowed
from werkzeug.routing import IntegerConverter, UnicodeConverter

from backend import i18n
from backend.data.types import MAX_DB_INTEGER
from backend.i18n import _
from backend.i18n.field_messages import translated_errors
from backend.web import bodies, openapi
from backend.web.access import SIGNED_IN_ROLES, VERIFIER_SYSTEM, AccessRule, guarded
from backend.web.errors import DEFAULT_MESSAGES, DomainError, default_reason

log = logging.getLogger(__name__)


class ErrorSchema(ma.Schema):
    """The error body of SPEC §10."""

    code = ma.fields.Integer(required=True, metadata={"description": "HTTP status code"})
    status = ma.fields.String(required=True, metadata={"description": "HTTP status name"})
    message = ma.fields.String(metadata={"description": "What went wrong, for people"})
    reason = ma.fields.String(required=True, metadata={"description": "Stable word a client branches on"})
    errors = ma.fields.Dict(metadata={"description": "Field messages of a validation error"})

    class Meta:
        unknown = ma.INCLUDE


class DatabaseIntegerConverter(IntegerConverter):
    """``<int:…>`` in a URL: a number larger than any database id matches no route (404), rather than
    reaching the database, which refuses it."""

    def __init__(self, map, fixed_digits=0, min=None, max=MAX_DB_INTEGER, signed=False):
        super().__init__(map, fixed_digits, min, max, signed)


class TextConverter(UnicodeConverter):
    """``<string:…>`` in a URL: a segment with a NUL character matches no route (404); no name holds
    one, and PostgreSQL refuses to even compare it."""

    def __init__(self, map, minlength=1, maxlength=None, length=None, besides=""):
        super().__init__(map, minlength, maxlength, length)
        self.regex = self.regex.replace("[^/]", "[^/\\x00]", 1)
        if besides:
            # ``<string(besides="import"):…>``: the segments of sibling routes (``/enterprises/import``) are not
            # a value, so a method those routes lack is 405 there, not a look-up of a record named "import".
            words = "|".join(re.escape(word) for word in besides.split(","))
            self.regex = f"(?!(?:{words})$){self.regex}"


class Api(flask_smorest.Api):
    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app, *, spec_kwargs=None):
        if "babel" not in app.extensions:
            i18n.init_app(app)  # error messages are translated; an app of the API alone needs the languages too
        app.url_map.converters["int"] = DatabaseIntegerConverter
        app.url_map.converters["default"] = app.url_map.converters["string"] = TextConverter
        app.config["MAX_CONTENT_LENGTH"] = bodies.DEFAULT_LIMIT
        app.before_request(bodies.enforce_limit)
        super().init_app(app, spec_kwargs=spec_kwargs)
        openapi.init_api(self)

    def _register_error_handlers(self):
        super()._register_error_handlers()
        self._app.register_error_handler(DomainError, self.handle_domain_error)

    def handle_domain_error(self, error: DomainError):
        if error.status >= 500:
            log.error("domain error %s on %s %s", error.reason, request.method, request.path)
        body = error.body()
        if body.get("errors"):
            body["errors"] = translated_errors(body["errors"])
        return body, error.status, error.headers

    def handle_http_exception(self, error):
        payload, code, headers = super().handle_http_exception(error)
        if isinstance(error, MethodNotAllowed) and error.valid_methods:
            headers = {**(headers or {}), "Allow": ", ".join(sorted(error.valid_methods))}
        data = getattr(error, "data", None) or {}
        payload["reason"] = data.get("reason") or getattr(error, "reason", None) or default_reason(code)
        if payload.get("errors"):
            payload["errors"] = translated_errors(payload["errors"])
        if "message" not in payload:
            if code == 422 and payload.get("errors"):
                payload["message"] = _("Some fields are not valid: %(fields)s",
                                       fields=", ".join(_field_names(payload["errors"])))
            else:
                payload["message"] = DEFAULT_MESSAGES.get(code) or error.description or error.name
        if code == 429:
            retry = getattr(error, "retry_after", None)
            limit = getattr(error, "limit", None)
            if retry is None and limit is not None:
                retry = limit.limit.get_expiry()
            headers = dict(headers or {})
            headers.setdefault("Retry-After", str(retry or 60))
        return payload, code, headers


def _field_names(errors: dict) -> list[str]:
    names = []
    for location in errors.values():
        if isinstance(location, dict):
            names.extend(str(name) for name in location)
    return names or ["body"]


class Blueprint(flask_smorest.Blueprint):
    """A flask-smorest blueprint whose views each state who may call them."""

    ARGUMENTS_PARSER = bodies.Parser()

    def arguments(self, schema, *, location="json", **kwargs):
        """Also document what every JSON body may answer before its schema is read: 400 for a body that is
        not JSON at all (webargs' "Invalid JSON body"), 413 over the body limit, 415 when it is not sent
        as JSON (``backend.web.bodies``).

        Unknown query parameters are refused, not silently dropped: a filter the endpoint does not know
        (say an ID number that belongs in a body) must not answer with an unfiltered list.
        """
        if location == "query":
            kwargs.setdefault("unknown", ma.RAISE)
        decorator = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return decorator

        def documented(view):
            view = decorator(view)
            for status, response in ((400, "BAD_REQUEST"), (413, "REQUEST_ENTITY_TOO_LARGE"),
                                     (415, "UNSUPPORTED_MEDIA_TYPE")):
                view = self.alt_response(status, response=response)(view)
            return view

        return documented

    def body_limit(self, size: int):
        """This view's own body limit in bytes, instead of ``bodies.DEFAULT_LIMIT`` (an import file)."""

        def decorator(view):
            return self.alt_response(413, response="REQUEST_ENTITY_TOO_LARGE")(bodies.limit(size)(view))

        return decorator

    def access(self, *roles: str, permission: str | None = None):
        """Allow callers holding one of ``roles`` (and ``permission`` when given)."""
        if not roles:
            raise ValueError("name at least one role; use public() for open endpoints")
        rule = AccessRule(frozenset(roles), permission)

        def decorator(view):
            view = guarded(rule)(view)
            view = self.alt_response(401, response="UNAUTHORIZED")(view)
            view = self.alt_response(403, response="FORBIDDEN")(view)
            # Wrong API keys are limited per address wherever one is sent, and each key has its limit.
            view = self.alt_response(429, response="TOO_MANY_REQUESTS")(view)
            security = [{"bearer": []}] if rule.roles.intersection(SIGNED_IN_ROLES) else []
            if VERIFIER_SYSTEM in rule.roles:
                security.append({"api_key": []})
            return self.doc(security=security)(view)

        return decorator

    def public(self, *, optional_auth: bool = False, limited: bool = True):
        """Open to anyone; rate limited per IP unless ``limited`` is false (health checks)."""
        rule = AccessRule(None, optional_auth=optional_auth, limited=limited)

        def decorator(view):
            view = guarded(rule)(view)
            if limited:
                view = self.alt_response(429, response="TOO_MANY_REQUESTS")(view)
            return self.doc(security=[])(view)

        return decorator


    def _document_pagination_metadata(self, spec, resp_doc):
        resp_doc.setdefault("headers", {})[self.PAGINATION_HEADER_NAME] = openapi.PAGINATION_HEADER


def paginate(statement, pagination_parameters) -> list:
    """One page of ``statement`` for a ``@blp.paginate()`` view; fills in the X-Pagination total."""
    from backend.data.extensions import db

    page = db.paginate(statement, page=pagination_parameters.page, per_page=pagination_parameters.page_size,
                       error_out=False)
    pagination_parameters.item_count = page.total
    return page.items
