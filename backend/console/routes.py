"""Serves the console's checked-in files at /console/ with the page security headers."""

from pathlib import Path

from flask import Blueprint
from werkzeug.exceptions import NotFound

from backend.web import pages
from backend.web.access import PUBLIC_ASSET, guarded

STATIC = Path(__file__).parent / "static"

# The kinds of file the console is made of; anything else in the folder is not served. (Flask adds
# "; charset=utf-8" to the text types.)
CONTENT_TYPES = {
    ".html": "text/html",
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/vnd.microsoft.icon",
}

blp = pages.protect(Blueprint("console", __name__, url_prefix="/console"))


@blp.route("/")
@guarded(PUBLIC_ASSET)
def index():
    """The console's one page; screens are chosen by the URL fragment (``#/admin/rubric``)."""
    return _send("index.html")


@blp.route("/<path:filename>")
@guarded(PUBLIC_ASSET)
def asset(filename):
    return _send(filename)


def _send(filename: str):
    content_type = CONTENT_TYPES.get(Path(filename).suffix.lower())
    if content_type is None:
        raise NotFound()
    # The browser revalidates every file (ETag): a new release is picked up at once, an unchanged file
    # costs a 304.
    return pages.send(STATIC, filename, content_type)
