"""Pages the app serves to browsers itself — the staff console (SPEC §11) and the public report check
(§7a) — and the one security policy every such page is held to.

The pages' scripts come from the app's own origin and talk only to it; nothing is inline (no ``<script>``
bodies, no ``onclick=``, no ``style=``), so the policy needs no ``'unsafe-inline'``. Images that need the
staff member's token (a report's photos) are fetched by script and shown through ``blob:`` URLs. Pages are
never framed, never sniffed, and send no referrer. Their files carry no data: the access rule is
``PUBLIC_ASSET`` (open, not rate limited); the API they call is limited as usual.
"""

from functools import wraps

from flask import Blueprint, Response, make_response, send_from_directory

from backend.web.access import PUBLIC_ASSET, guarded

CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' blob:",
    "font-src 'self'",
    "connect-src 'self'",
    "manifest-src 'self'",
    "form-action 'self'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
])

PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",  # frame-ancestors for browsers that predate it
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
}


def apply(response: Response) -> Response:
    """Set the page headers on ``response``; a page's files are revalidated on every load (no build step
    means no content hashes in their names)."""
    response.headers.update(PAGE_HEADERS)
    response.headers.setdefault("Cache-Control", "no-cache")
    return response


def protect(blueprint: Blueprint) -> Blueprint:
    """Give every response of ``blueprint`` the page headers, its errors included."""
    blueprint.after_request(apply)
    return blueprint


def page(view):
    """A view answering a page or one of its files: open to anyone as a public asset, with the headers."""

    @wraps(view)
    def with_headers(*args, **kwargs):
        return apply(make_response(view(*args, **kwargs)))

    return guarded(PUBLIC_ASSET)(with_headers)


def send(folder, name: str, mimetype: str) -> Response:
    """One of a page's files, sent as ``mimetype`` (never guessed: nosniff holds the browser to it)."""
    response = send_from_directory(folder, name, mimetype=mimetype, conditional=True)
    response.headers["Cache-Control"] = "no-cache"
    return response
