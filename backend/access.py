"""Who may call what: roles, permissions, the authenticated principal and the access rule of each view.

Every view states its rule with ``Blueprint.access`` or ``Blueprint.public`` (``backend.web``); a test
walks the URL map and refuses any route without one, so nothing is reachable by omission.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps

from flask import current_app, g, request

from backend.errors import Forbidden, Unauthenticated

RESIDENT = "resident"
OPERATOR = "operator"
DEPARTMENT = "department"
REVIEWER = "reviewer"
ADMIN = "admin"

ROLES = (RESIDENT, OPERATOR, DEPARTMENT, REVIEWER, ADMIN)
STAFF_ROLES = (DEPARTMENT, REVIEWER, ADMIN)

# Named permissions admins grant to staff on top of their role (SPEC §1).
PERMISSIONS = {
    "reports:identity": "see the identity of real-name reporters",
    "rewards:pay": "record that a report reward was paid out",
}


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of one request."""

    kind: str  # "staff" or "wechat"
    id: int
    roles: frozenset[str]
    permissions: frozenset[str] = frozenset()
    family_id: str | None = None
    source: str | None = None  # a department's source name
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

    @property
    def public(self) -> bool:
        return self.roles is None


# kind -> function(claims) returning the live Principal, or raising Unauthenticated.
_principal_loaders: dict[str, Callable[[dict], Principal]] = {}


def register_principal_loader(kind: str, loader: Callable[[dict], Principal]) -> None:
    _principal_loaders[kind] = loader


def authenticate() -> Principal | None:
    """Read the bearer token of this request; ``None`` when it carries none."""
    if "principal" in g:
        return g.principal
    header = request.headers.get("Authorization", "")
    if not header:
        g.principal = None
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthenticated("Send the access token as 'Authorization: Bearer <token>'.",
                              reason="token_invalid")
    from backend.auth import service as auth_service

    claims = auth_service.verify_access_token(token.strip())
    loader = _principal_loaders.get(claims.get("knd"))
    if loader is None:
        raise Unauthenticated("This token is not valid.", reason="token_invalid")
    g.principal = loader(claims)
    return g.principal


def current_principal() -> Principal | None:
    return g.get("principal")


def check(rule: AccessRule) -> Principal | None:
    """Enforce ``rule`` for the current request and return the caller."""
    if rule.public:
        if rule.limited:
            from backend import ratelimits

            ratelimits.public_request()
        if rule.optional_auth and request.headers.get("Authorization"):
            return authenticate()
        return None
    principal = authenticate()
    if principal is None:
        raise Unauthenticated()
    if not principal.roles.intersection(rule.roles):
        raise Forbidden(reason="role_not_allowed")
    if rule.permission and rule.permission not in principal.permissions:
        raise Forbidden(f"This needs the permission {rule.permission}.", reason="permission_required")
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
