"""Domain errors: each carries an HTTP status and a ``reason`` word (SPEC §10).

Services raise these; ``backend.web.api.Api`` maps them to the JSON error body in one place.
"""

from http import HTTPStatus

from backend.i18n import _

# The reason given when an error carries none of its own, by HTTP status.
DEFAULT_REASONS = {
    400: "bad_request",
    401: "unauthenticated",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    410: "gone",
    413: "too_large",
    415: "unsupported_media_type",
    422: "invalid_input",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


# The message of an HTTP error raised without one of ours (an unknown URL, a method not allowed, a body
# webargs cannot read), instead of werkzeug's English description.
DEFAULT_MESSAGES = {
    400: _("The request cannot be read."),
    401: _("Sign in first."),
    403: _("Your account may not do this."),
    404: _("Not found."),
    405: _("This method is not allowed here."),
    409: _("This conflicts with what is already recorded."),
    410: _("This is no longer available."),
    413: _("The request body is too large."),
    415: _("This content type is not accepted here."),
    422: _("Some fields are not valid."),
    429: _("Too many requests; try again later."),
    500: _("Something went wrong on our side; it has been logged."),
    503: _("The service is unavailable for a moment; try again shortly."),
}


def default_reason(status: int) -> str:
    return DEFAULT_REASONS.get(status, HTTPStatus(status).phrase.lower().replace(" ", "_").replace("-", "_"))


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status = 400
    reason = "bad_request"
    message = _("The request cannot be carried out.")

    def __init__(self, message: str | None = None, *, reason: str | None = None,
                 errors: dict | None = None, headers: dict | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        if reason:
            self.reason = reason
        self.errors = errors
        self.headers = headers or {}
        self.details = details

    def body(self) -> dict:
        payload = {
            "code": self.status,
            "status": HTTPStatus(self.status).phrase,
            "message": str(self.message),
            "reason": self.reason,
        }
        if self.errors:
            payload["errors"] = self.errors
        payload.update({key: value for key, value in self.details.items() if value is not None})
        return payload


class InvalidInput(DomainError):
    status = 422
    reason = "invalid_input"
    message = _("Some fields are not valid.")

    def __init__(self, message: str | None = None, *, field: str | None = None, **kwargs):
        if field and message:
            kwargs.setdefault("errors", {"json": {field: [message]}})
            message = f"{field}: {message}"
        super().__init__(message, **kwargs)


class Unauthenticated(DomainError):
    status = 401
    reason = "unauthenticated"
    message = _("Sign in first.")


class Forbidden(DomainError):
    status = 403
    reason = "forbidden"
    message = _("Your account may not do this.")


class NotFound(DomainError):
    status = 404
    reason = "not_found"
    message = _("Not found.")


class Conflict(DomainError):
    status = 409
    reason = "conflict"
    message = _("This conflicts with what is already recorded.")


class UnsupportedMediaType(DomainError):
    status = 415
    reason = "unsupported_media_type"
    message = _("This content type is not accepted here.")


class RateLimited(DomainError):
    status = 429
    reason = "rate_limited"
    message = _("Too many requests; try again later.")

    def __init__(self, message: str | None = None, *, retry_after: int = 60, **kwargs):
        kwargs.setdefault("headers", {"Retry-After": str(max(1, int(retry_after)))})
        super().__init__(message, **kwargs)
