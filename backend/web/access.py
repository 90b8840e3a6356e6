"""Who may call what: roles, permissions, the authenticated principal and the access rule of each view.

Every view states its rule with ``Blueprint.access`` or ``Blueprint.public`` (``backend.web.api``); a test
walks the URL map and refuses any route without one, so nothing is reachable by omission.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, has_request_context, request

from backend.i18n import _
from backend.web import ratelimits
from backend.web.errors import Forbidden, Unauthenticated

RESIDENT = "resident"
OPERATOR = "operator"
DEPARTMENT = "department"
REVIEWER = "reviewer"
ADMIN = "admin"

VERIFIER_SYSTEM = "verifier_system"  # a bank's server, by API key

ROLES = (RESIDENT, OPERATOR, VERIFIER_SYSTEM, DEPARTMENT, REVIEWER, ADMIN)
# Roles that sign in and hold tokens (a bank system holds an API key instead).
SIGNED_IN_ROLES = (RESIDENT, OPERATOR, DEPARTMENT, REVIEWER, ADMIN)
STAFF_ROLES = (DEPARTMENT, REVIEWER, ADMIN)

# Named permissions admins grant to staff on top of their role (SPEC §1).
PERMISSIONS = {
    "reports:identity": "see the identity of real-name reporters",
    "rewards:pay": "record that a report reward was paid out",
    "integrity:civil-servants": "create and read civil servants' integrity files",
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    kind: str  # "staff", "wechat" or "apikey"
    id: int
    roles: frozenset[str]
    # Roles the caller holds through a verifier that is suspended: they answer 403 verifier_suspended.
    suspended_roles: frozenset[str] = frozenset()
    permissions: frozenset[str] = frozenset()
    family_id: str | None = None
    source: str | None = None  # a department's source name
    resident_id: int | None = None  # a WeChat account's bound resident
    name: str | None = None
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def subject(self) -> str:
        return f"{self.kind}:{self.id}"

    def has_role(self, *roles: str) -> bool:
        return bool(self.roles.intersection(roles))


@dataclass(frozen=True)
class AccessRule:
    """The roles allowed to call a view (``None``: anyone) and the permission it also needs."""

    roles: frozenset[str] | None
    permission: str | None = None
    optional_auth: bool = False
    limited: bool = True
    asset: bool = False  # a checked-in file (console page, script, style) that carries no data

    @property
    def public(self) -> bool:
        return self.roles is None


# Static files served to anyone: the console's pages and scripts, the docs page's own assets. They hold no
# data (that comes from the API, with a token), so they are neither limited nor authenticated.
PUBLIC_ASSET = AccessRule(None, limited=False, asset=True)


# kind -> function(claims) returning the live Principal, or raising Unauthenticated.
_principal_loaders: dict[str, Callable[[dict], Principal]] = {}


API_KEY = "apikey"


def register_principal_loader(kind: str, loader: Callable[[dict], Principal]) -> None:
    """``loader`` turns a token's claims (or, for ``API_KEY``, the X-API-Key header) into the principal."""
    _principal_loaders[kind] = loader


# function(access token) returning its checked claims, or raising Unauthenticated (the auth domain's).
_token_checker: list[Callable[[str], dict]] = []


def register_token_checker(checker: Callable[[str], dict]) -> None:
    """``checker`` verifies a bearer access token and returns its claims; the auth domain registers it,
    so this lower layer never imports that domain."""
    _token_checker[:] = [checker]


_PRINCIPAL = "chengxin.principal"


def authenticate() -> Principal | None:
    """Read the bearer token of this request; ``None`` when it carries none."""
    # Kept in the WSGI environ: it belongs to this request, even where an app context spans several.
    if _PRINCIPAL in request.environ:
        return request.environ[_PRINCIPAL]
    header = request.headers.get("Authorization", "")
    if not header:
        api_key = request.headers.get("X-API-Key")
        loader = _principal_loaders.get(API_KEY)
        request.environ[_PRINCIPAL] = loader(api_key) if api_key and loader else None
        return request.environ[_PRINCIPAL]
    scheme, _space, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated(_("Send the access token as 'Authorization: Bearer <token>'."),
                              reason="token_invalid")
    claims = _token_checker[0](token.strip())
    loader = _principal_loaders.get(claims.get("knd"))
    if loader is None:
        raise Unauthenticated(_("This token is not valid."), reason="token_invalid")
    request.environ[_PRINCIPAL] = loader(claims)
    return request.environ[_PRINCIPAL]


_UNLOGGED = "chengxin.caller_unlogged"


def keep_caller_out_of_logs() -> None:
    """Mark this request so that no log line names its caller (SPEC §5: the request logs of filing and
    uploads carry no account). Request logging reads ``caller_may_be_logged``."""
    request.environ[_UNLOGGED] = True


def caller_may_be_logged() -> bool:
    return has_request_context() and not request.environ.get(_UNLOGGED, False)


def current_principal() -> Principal | None:
    return request.environ.get(_PRINCIPAL) if has_request_context() else None


def check(rule: AccessRule) -> Principal | None:
    """Enforce ``rule`` for the current request and return the caller."""
    if rule.public:
        if rule.limited:
            ratelimits.public_request()
        if rule.optional_auth and request.headers.get("Authorization"):
            return authenticate()
        return None
    principal = authenticate()
    if principal is None:
        raise Unauthenticated()
    if not principal.roles.intersection(rule.roles):
        if principal.suspended_roles.intersection(rule.roles):
            raise Forbidden(_("This verifier is suspended; ask the credit office."), reason="verifier_suspended")
        raise Forbidden(reason="role_not_allowed")
    if rule.permission and rule.permission not in principal.permissions:
        raise Forbidden(_("This needs the permission %(permission)s.", permission=rule.permission),
                        reason="permission_required")
    return principal


def guarded(rule: AccessRule):
    """Wrap a view so ``rule`` is checked before its arguments are even parsed."""

    def decorator(view):
        @wraps(view)
        def wrapper(*args, **kwargs):
            check(rule)
            return current_app.ensure_sync(view)(*args, **kwargs)

        wrapper._access = rule
        return wrapper

    return decorator


def rule_of(view) -> AccessRule | None:
    return getattr(view, "_access", None)


def view_for(app, rule, method: str):
    """The function that answers ``method`` on a URL rule (a MethodView's method, or the view itself)."""
    view = app.view_functions[rule.endpoint]
    view_class = getattr(view, "view_class", None)
    if view_class is not None:
        return getattr(view_class, method.lower(), None)
    return view


def routes(app):
    """Every (method, path, view) the app answers, HEAD and OPTIONS aside."""
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield method, rule, view_for(app, rule, method)


# The authorisation page of the front-end guide, in each of its languages. The guide's pages are written
# per language (miniprogram_api_docs/ in Chinese, en/ in English), so the page's own words live here rather
# than in the message catalogues; paths and role names stay as the code spells them.
TABLE_LANGUAGES = ("en", "zh")
TABLE_FILES = {"en": "en/authorisation.md", "zh": "authorisation.md"}
TABLE_TEXT = {
    "en": {
        "title": "# Authorisation table",
        "links": "[← index](README.md) · [中文](../authorisation.md)",
        "intro": (
            "Who may call each endpoint (generated by `flask access table`; a test keeps it equal to the code).",
            "No token where one is needed gives 401; a role not listed gives 403; another resident's object is 404.",
        ),
        "roles_header": ("| role | who |", "|---|---|"),
        "roles": {
            RESIDENT: "a WeChat user of the mini-program (居民); the resident pages also need a bound identity",
            OPERATOR: "a WeChat user who acts for a verifier: shop, bank or organisation (核验员)",
            VERIFIER_SYSTEM: "a bank's own system, with an API key (银行系统)",
            DEPARTMENT: "a sending department's staff account (部门)",
            REVIEWER: "a reviewer of the credit office (审核员)",
            ADMIN: "an administrator of the credit office (信用办管理员)",
        },
        "table_header": ("| method | path | allowed |", "|---|---|---|"),
        "public": "public",
        "limited": " (per-IP limit)",
        "asset": "public asset (no data)",
        "permission": "{roles} + permission `{permission}`",
    },
    "zh": {
        "title": "# 接口权限表",
        "links": "[← 目录](README.md) · [English](en/authorisation.md)",
        "intro": (
            "每个接口允许哪些角色调用（由 `flask access table --lang zh` 生成，测试保证它与代码一致）。",
            "需要令牌却未携带时返回 401；不在所列角色中的账号返回 403；访问其他居民的对象返回 404。",
        ),
        "roles_header": ("| 角色 | 说明 |", "|---|---|"),
        "roles": {
            RESIDENT: "使用小程序的微信用户（居民）；居民页面还需先完成实名绑定",
            OPERATOR: "代表核验方（商户、银行、组织）扫码核验的微信用户（核验员）",
            VERIFIER_SYSTEM: "银行自己的系统，凭 API 密钥调用（银行系统）",
            DEPARTMENT: "报送部门的工作人员账号（部门）",
            REVIEWER: "信用办审核员",
            ADMIN: "信用办管理员",
        },
        "table_header": ("| 方法 | 路径 | 允许调用 |", "|---|---|---|"),
        "public": "公开",
        "limited": "（按 IP 限流）",
        "asset": "公开静态资源（不含数据）",
        "permission": "{roles} + 权限 `{permission}`",
    },
}


def describe_rule(rule: AccessRule | None, lang: str = "en") -> str:
    text = TABLE_TEXT[lang]
    if rule is None:
        return "MISSING"
    if rule.asset:
        return text["asset"]
    if rule.public:
        return text["public"] + (text["limited"] if rule.limited else "")
    roles = ", ".join(sorted(rule.roles))
    return text["permission"].format(roles=roles, permission=rule.permission) if rule.permission else roles


def table_markdown(app, lang: str = "en") -> str:
    """The authorisation page of the front-end guide in ``lang`` (``en`` or ``zh``), generated from the
    views' own rules."""
    text = TABLE_TEXT[lang]
    lines = [text["title"], "", text["links"], "", *text["intro"], "", *text["roles_header"]]
    lines.extend(f"| `{role}` | {text['roles'][role]} |" for role in ROLES)
    lines.extend(["", *text["table_header"]])
    for method, rule, view in routes(app):
        path = re.sub(r"<(?:[^<>:]+:)?([^<>:]+)>", r"<\1>", rule.rule)  # <int:id>, <string(…):uscc> → <id>, <uscc>
        lines.append(f"| {method} | `{path}` | {describe_rule(rule_of(view), lang)} |")
    return "\n".join(lines) + "\n"
