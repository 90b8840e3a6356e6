"""The front-end guide (SPEC §10): every page in Chinese and in English, links that lead somewhere, and an
errors page that lists exactly the `reason` words the code answers with, in both languages."""

import ast
import re
from functools import cache
from pathlib import Path

import pytest

from backend.config import project_root
from backend.web.errors import DEFAULT_REASONS, DomainError

GUIDE = project_root() / "miniprogram_api_docs"  # the Chinese pages
ENGLISH = GUIDE / "en"  # their English twins, under the same names
BACKEND = project_root() / "backend"
LANGUAGES = {"zh": GUIDE, "en": ENGLISH}
TWIN_LINK = {"zh": "en/{name}", "en": "../{name}"}  # how a page links to its twin

# Reasons the API answers with that no line of backend/ names, each with where it comes from. The
# libraries' own errors (werkzeug's 404, 405 and 413, webargs' 422, Flask-Limiter's 429) are given their
# reason by DEFAULT_REASONS, which the collector below reads, so none is needed today.
FROM_ELSEWHERE: dict[str, str] = {}

SNAKE_CASE = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")
CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN = re.compile(r"[A-Za-z]")


def pages(folder: Path) -> set[str]:
    return {path.name for path in folder.glob("*.md")}


ALL_PAGES = sorted(pages(GUIDE) | pages(ENGLISH))


# --- every page in both languages ------------------------------------------------------------------------


def test_every_english_page_has_its_chinese_twin_and_back():
    chinese, english = pages(GUIDE), pages(ENGLISH)
    assert english - chinese == set(), "English pages without a Chinese twin in miniprogram_api_docs/"
    assert chinese - english == set(), "Chinese pages without an English twin in miniprogram_api_docs/en/"
    assert {"README.md", "errors.md", "login.md", "authorisation.md"} <= chinese


@pytest.mark.parametrize("name", ALL_PAGES)
@pytest.mark.parametrize("lang", LANGUAGES)
def test_each_page_links_to_its_twin_at_the_top(lang, name):
    page = LANGUAGES[lang] / name
    if not page.exists():
        pytest.fail(f"{lang}/{name} is missing (see the twin test)")
    top = "\n".join(page.read_text(encoding="utf-8").splitlines()[:5])
    assert f"]({TWIN_LINK[lang].format(name=name)})" in top, f"{page.relative_to(GUIDE)}: no link to its twin"


def prose(text: str) -> str:
    """The text a reader reads as sentences: without code blocks, tables, inline code and link targets."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    text = re.sub(r"^\|.*$", "", text, flags=re.M)
    return re.sub(r"`[^`\n]*`|\]\([^)]*\)", "", text)


@pytest.mark.parametrize("name", sorted(pages(GUIDE)))
def test_chinese_pages_are_written_in_chinese(name):
    text = (GUIDE / name).read_text(encoding="utf-8")
    title = text.splitlines()[0]
    assert title.startswith("# ") and CJK.search(title), f"{name}: the title is not Chinese"
    words = prose(text)
    # Chinese prose still names things in Latin letters (WeChat, API, JSON); an English page is all of them.
    assert len(CJK.findall(words)) > len(LATIN.findall(words)), f"{name} reads as English"


# --- links lead to a page and a heading ------------------------------------------------------------------

LINK = re.compile(r"\]\(([^)\s]+)\)")


def slug(heading: str) -> str:
    """The anchor a Markdown renderer (GitHub's rule) gives a heading: lower case, punctuation dropped,
    spaces to dashes; Chinese characters stay."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@cache
def anchors(page: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for line in prose_lines(page):
        if match := re.match(r"#{1,6} (.+)", line):
            base = slug(match.group(1))
            count = seen.get(base, 0)
            seen[base] = count + 1
            found.add(base if count == 0 else f"{base}-{count}")
    return found


def prose_lines(page: Path) -> list[str]:
    lines, fenced = [], False
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced:
            lines.append(line)
    return lines


@pytest.mark.parametrize("lang", LANGUAGES)
def test_links_between_pages_lead_to_a_page_and_heading(lang):
    broken = []
    for page in sorted(LANGUAGES[lang].glob("*.md")):
        for line in prose_lines(page):
            for target in LINK.findall(re.sub(r"`[^`]*`", "", line)):
                if re.match(r"[a-z]+:", target):
                    continue  # https:, mailto:
                path, _, anchor = target.partition("#")
                linked = (page.parent / path).resolve() if path else page
                if not linked.exists():
                    broken.append(f"{page.relative_to(GUIDE)} → {target}: no such page")
                elif anchor and anchor not in anchors(linked):
                    broken.append(f"{page.relative_to(GUIDE)} → {target}: no such heading")
    assert broken == [], "\n".join(broken)


# --- the reason words: code and errors page --------------------------------------------------------------


class ErrorClasses:
    """Every class of backend/ as its source declares it (bases by name, constant class attributes), to
    tell which are DomainErrors and which ``reason`` and ``status`` each carries, inherited or its own."""

    def __init__(self, trees):
        self.classes: dict[str, list[tuple[list[str], dict]]] = {}
        for tree in trees:
            for node in ast.walk(tree):
                if isinstance(node, ast.ClassDef):
                    bases = [base.id if isinstance(base, ast.Name) else base.attr
                             for base in node.bases if isinstance(base, ast.Name | ast.Attribute)]
                    constants = {target.id: statement.value.value for statement in node.body
                                 if isinstance(statement, ast.Assign) and isinstance(statement.value, ast.Constant)
                                 for target in statement.targets if isinstance(target, ast.Name)}
                    self.classes.setdefault(node.name, []).append((bases, constants))

    def is_error(self, name: str, seen: frozenset = frozenset()) -> bool:
        if name == DomainError.__name__:
            return True
        return name not in seen and any(self.is_error(base, seen | {name})
                                        for bases, _ in self.classes.get(name, []) for base in bases)

    def constant(self, name: str, key: str, seen: frozenset = frozenset()):
        """The class attribute ``key`` of class ``name``, or None when unknown (or the name is ambiguous)."""
        definitions = self.classes.get(name, [])
        if len(definitions) != 1 or name in seen:
            return None
        bases, constants = definitions[0]
        if key in constants:
            return constants[key]
        for base in bases:
            if (value := self.constant(base, key, seen | {name})) is not None:
                return value
        return None

    def errors(self):
        return [name for name in self.classes if self.is_error(name)]


@cache
def code_reasons() -> frozenset[tuple[str, int | None]]:
    """(reason, status) of every reason the code names: each DomainError subclass's ``reason`` (its own or
    inherited), each ``reason="..."`` keyword argument (the status is the called error class's, None when
    the callee is no error class), and the default reason of each status in backend/web/errors.py."""
    trees = [ast.parse(path.read_text(encoding="utf-8"), filename=str(path)) for path in BACKEND.rglob("*.py")]
    classes = ErrorClasses(trees)
    found = {(classes.constant(name, "reason"), classes.constant(name, "status")) for name in classes.errors()}
    for tree in trees:
        for call in (node for node in ast.walk(tree) if isinstance(node, ast.Call)):
            for keyword in call.keywords:
                if keyword.arg == "reason" and isinstance(keyword.value, ast.Constant):
                    callee = getattr(call.func, "id", None) or getattr(call.func, "attr", None)
                    status = classes.constant(callee, "status") if callee and classes.is_error(callee) else None
                    found.add((keyword.value.value, status))
    found |= {(reason, status) for status, reason in DEFAULT_REASONS.items()}
    return frozenset(found)


def documented_reasons(page: Path) -> set[tuple[str, int]]:
    """(reason, status) of every row of the page's reason tables: the tables whose first column is `reason`
    and whose second is the status."""
    found, header = set(), None
    for line in prose_lines(page):
        if not line.startswith("|"):
            header = None
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif header[0] == "reason" and not set(cells[0]) <= set("-: "):
            word = re.fullmatch(r"`(\w+)`", cells[0])
            assert word and cells[1].isdigit(), f"{page.relative_to(GUIDE)}: a reason row reads {line!r}"
            assert len(cells) >= 4 and all(cells), f"{page.relative_to(GUIDE)}: {word.group(1)} needs when and what"
            found.add((word.group(1), int(cells[1])))
    return found


def test_reason_collector_sees_classes_keywords_and_defaults(app):
    reasons = code_reasons()
    assert ("code_used", 409) in reasons  # a class's own reason
    assert ("rubric_item_retired", 422) in reasons  # its status inherited from InvalidInput
    assert ("verifier_suspended", 403) in reasons and ("verifier_suspended", 409) in reasons  # keyword and class
    assert ("too_large", 413) in reasons  # a default by status
    # Every error class the running app has loaded is seen by reading the source.
    loaded = {(cls.reason, cls.status) for cls in subclasses(DomainError) if cls.__module__.startswith("backend.")}
    assert loaded and loaded <= reasons


def subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


def test_reason_words_of_the_code_are_snake_case():
    assert sorted(r for r, _ in code_reasons() if not SNAKE_CASE.fullmatch(str(r))) == []


@pytest.mark.parametrize("lang", LANGUAGES)
def test_errors_page_lists_every_reason_of_the_code_and_no_other(lang):
    documented = documented_reasons(LANGUAGES[lang] / "errors.md")
    code = code_reasons()
    words = {reason for reason, _ in documented}
    undocumented = sorted({(reason, status) for reason, status in code
                           if (reason, status) not in documented and (status is not None or reason not in words)},
                          key=str)
    unknown = sorted((reason, status) for reason, status in documented
                     if (reason, status) not in code and (reason, None) not in code and reason not in FROM_ELSEWHERE)
    assert (undocumented, unknown) == ([], []), (
        f"{LANGUAGES[lang].relative_to(GUIDE.parent)}/errors.md: (reason, status) of the code missing from its tables: "
        f"{undocumented}; listed there but not in the code: {unknown}")


def test_both_languages_list_the_same_reasons():
    assert documented_reasons(GUIDE / "errors.md") == documented_reasons(ENGLISH / "errors.md")
