"""The staff console's files (SPEC §11): served by the app at /console/ with strict page headers, built of
checked-in modules that load nothing from elsewhere and run no inline code. Its behaviour in a browser is
tested in tests/browser/."""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from backend.console.routes import CONTENT_TYPES, STATIC
from backend.web.access import routes, rule_of, table_markdown

OWN_FILES = sorted(path for path in STATIC.rglob("*") if path.is_file() and "vendor" not in path.parts)
SERVED_FILES = sorted(path for path in STATIC.rglob("*") if path.is_file() and path.suffix in CONTENT_TYPES)
MODULES = sorted(STATIC.glob("js/**/*.js"))


def relative(path: Path) -> str:
    return path.relative_to(STATIC).as_posix()


def csp_directives(response) -> dict[str, list[str]]:
    policy = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in policy.split(";") if part.strip())}


# --- serving --------------------------------------------------------------------------------------------


def test_console_page_is_served_with_strict_security_headers(client):
    response = client.get("/console/")

    assert response.status_code == 200
    assert response.mimetype == "text/html"
    assert "江阴市信用办工作台" in response.get_data(as_text=True)
    policy = csp_directives(response)
    assert policy["default-src"] == ["'none'"]
    assert policy["script-src"] == ["'self'"]  # no inline script, no eval, no other origin
    assert policy["style-src"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "blob:"]  # images fetched with the token are shown as blob: URLs
    assert policy["connect-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-cache"


@pytest.mark.parametrize("path", SERVED_FILES, ids=relative)
def test_every_console_file_is_served_with_its_type_and_the_headers(client, path):
    response = client.get(f"/console/{relative(path)}")

    assert response.status_code == 200
    assert response.mimetype == CONTENT_TYPES[path.suffix]
    if response.mimetype.startswith("text/"):
        assert response.mimetype_params == {"charset": "utf-8"}
    assert response.get_data() == path.read_bytes()
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]


def test_an_unchanged_file_is_answered_with_304(client):
    first = client.get("/console/js/app.js")
    again = client.get("/console/js/app.js", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_console_without_its_slash_is_redirected(client):
    response = client.get("/console")
    assert response.status_code in (301, 308)
    assert response.headers["Location"].endswith("/console/")


@pytest.mark.parametrize("path", [
    "/console/js/nothing-here.js",
    "/console/../backend/__init__.py",
    "/console/%2e%2e/config.py",
    "/console/vendor/chartjs/LICENSE.md",  # there, but not a kind of file the console serves
    "/console/js",
])
def test_console_serves_only_its_own_kinds_of_file(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.get_json()["reason"] == "not_found"


def test_console_files_need_no_token_and_no_rate_limit(client):
    # More than the per-IP limit of public endpoints (120 a minute): files carry no data and are not counted.
    statuses = {client.get("/console/js/app.js").status_code for _ in range(130)}
    assert statuses == {200}


def test_console_routes_are_public_assets_in_the_authorisation_table(app):
    console = {rule.rule: rule_of(view) for _m, rule, view in routes(app) if rule.rule.startswith("/console")}
    assert set(console) == {"/console/", "/console/<path:filename>"}
    assert all(access.asset and access.public and not access.limited for access in console.values())
    assert "| GET | `/console/` | public asset (no data) |" in table_markdown(app, "en")
    assert "| GET | `/console/<filename>` | 公开静态资源（不含数据） |" in table_markdown(app, "zh")


# --- what the files are made of ----------------------------------------------------------------------------


class InlineCode(HTMLParser):
    """Collects whatever in a page the CSP would refuse: inline scripts and styles, handler attributes."""

    def __init__(self):
        super().__init__()
        self.found = []
        self.in_script = False

    def handle_starttag(self, tag, attrs):
        names = dict(attrs)
        if tag == "script":
            self.in_script = True
            if "src" not in names:
                self.found.append("<script> without src")
        if tag == "style":
            self.found.append("<style>")
        self.found.extend(f"{name}= on <{tag}>" for name in names if name.startswith("on") or name == "style")
        if tag == "a" and (names.get("href") or "").lower().startswith("javascript:"):
            self.found.append("javascript: link")

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.found.append("inline script text")


@pytest.mark.parametrize("path", sorted(STATIC.rglob("*.html")), ids=relative)
def test_console_pages_hold_no_inline_script_or_style(path):
    parser = InlineCode()
    parser.feed(path.read_text(encoding="utf-8"))
    assert parser.found == []


# Ways to run text as code or markup, which the CSP refuses or which would let data become markup.
UNSAFE_JS = re.compile(r"\b(innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\s*\(|new Function"
                       r"|setAttribute\(\s*[\"']style)")


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_console_scripts_never_turn_text_into_code_or_markup(path):
    assert UNSAFE_JS.findall(path.read_text(encoding="utf-8")) == []


# Static imports (`import x from "…"`, `} from "…"` closing a long one) and dynamic `import("…")`.
IMPORT = re.compile(r"""^\s*(?:import\s+(?:[\w*{}\s,]+\s+from\s+)?|}\s*from\s+)["']([^"']+)["']"""
                    r"""|\bimport\(\s*["']([^"']+)["']\s*\)""", re.M)


@pytest.mark.parametrize("path", MODULES, ids=relative)
def test_console_modules_import_only_checked_in_files(path):
    """No build step and no CDN: every import is a relative path to a file in the folder."""
    for static, dynamic in IMPORT.findall(path.read_text(encoding="utf-8")):
        specifier = static or dynamic
        assert specifier.startswith(("./", "../")), f"{relative(path)} imports {specifier}"
        target = (path.parent / specifier).resolve()
        assert target.is_file() and STATIC in target.parents, f"{relative(path)}: {specifier} does not exist"


@pytest.mark.parametrize("path", OWN_FILES, ids=relative)
def test_console_loads_nothing_from_elsewhere(path):
    text = path.read_text(encoding="utf-8")
    text = text.replace('xmlns="http://www.w3.org/2000/svg"', "")  # a namespace name, never fetched
    assert re.findall(r"(?:https?:)?//[\w.-]+\.[a-z]{2,}", text) == []


def test_vendored_chart_library_carries_its_licence():
    vendor = STATIC / "vendor" / "chartjs"
    assert "MIT License" in (vendor / "LICENSE.md").read_text(encoding="utf-8")
    assert (vendor / "chart.umd.min.js").read_text(encoding="utf-8").startswith("/*!\n * Chart.js v4.")


def test_every_screen_module_is_listed_in_the_navigation():
    listed = (STATIC / "js" / "screens" / "index.js").read_text(encoding="utf-8")
    for module in sorted((STATIC / "js" / "screens").glob("*.js")):
        if module.name not in ("index.js", "pending.js"):
            assert f'from "./{module.name}"' in listed, f"{module.name} is not in screens/index.js"


def test_import_pattern_reads_the_entry_modules_imports():
    """The import checks above see every import: the entry module's, read by the same pattern."""
    text = (STATIC / "js" / "app.js").read_text(encoding="utf-8")
    found = {static or dynamic for static, dynamic in IMPORT.findall(text)}
    assert found == {"./session.js", "./router.js", "./screens/index.js", "./ui/dom.js", "./ui/form.js",
                     "./ui/format.js", "./labels.js"}


def test_the_console_names_exactly_the_settings_the_api_has():
    """A setting renamed or added in the API gets its Chinese name on the settings screen too."""
    from backend.settings.defaults import SETTINGS

    labels = (STATIC / "js" / "labels.js").read_text(encoding="utf-8")
    block = labels[labels.index("export const SETTINGS"):]
    named = set(re.findall(r'^\s+"([a-z_.0-9]+)":', block[:block.index("};")], re.MULTILINE))
    assert named == set(SETTINGS)
