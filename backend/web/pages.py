"""Pages the app serves to browsers itself (the public report check, SPEC §7a; the staff console, §11):
no inline script, assets from the app only, never framed, no sniffing, no referrer (SPEC §11)."""

from functools import wraps

from flask import make_response, send_from_directory

from backend.web.access import AccessRule, guarded

# Open to anyone and not rate limited: static pages and their assets; the API they call is limited.
PAGE = AccessRule(None, limited=False)

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob: data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
STRICT_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cache-Control": "no-cache",
}


def page(view):
    """A view that answers a page or one of its assets, with the strict headers."""

    @wraps(view)
    def with_headers(*args, **kwargs):
        response = make_response(view(*args, **kwargs))
        response.headers.update(STRICT_HEADERS)
        return response

    wrapped = guarded(PAGE)(with_headers)
    wrapped._page = True
    return wrapped


def is_page(view) -> bool:
    return getattr(view, "_page", False)


def asset(folder, name: str, mimetype: str):
    """One of a page's files, sent as ``mimetype`` (never guessed: nosniff holds the browser to it)."""
    return send_from_directory(folder, name, mimetype=mimetype, max_age=0)
