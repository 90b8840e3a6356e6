"""Security headers of the pages the app serves to browsers (SPEC §11): the staff console now, the public
report-check page later. One policy, applied by one function, so every page a browser loads is held to it.

The pages' scripts come from the app's own origin and talk only to it; nothing is inline (no ``<script>``
bodies, no ``onclick=``, no ``style=``), so the policy needs no ``'unsafe-inline'``. Images that need the
staff member's token (a report's photos) are fetched by script and shown through ``blob:`` URLs.
"""

from flask import Blueprint, Response

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
    """Set the page headers on ``response`` (an after-request hook)."""
    for name, value in PAGE_HEADERS.items():
        response.headers[name] = value
    return response


def protect(blueprint: Blueprint) -> Blueprint:
    """Give every response of ``blueprint`` the page headers, its errors included."""
    blueprint.after_request(apply)
    return blueprint
