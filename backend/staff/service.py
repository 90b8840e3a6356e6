"""Staff accounts: creation by admins, sign-in checks, disabling, permissions (SPEC §1)."""

import re

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from backend.audit import service as audit
from backend.auth import service as tokens
from backend.auth.passwords import MIN_LENGTH, hash_password, verify_password
from backend.data.extensions import db
from backend.dates.timeutil import utcnow
from backend.i18n import _
from backend.staff.models import StaffMember, StaffPermission
from backend.web import ratelimits
from backend.web.access import ADMIN, DEPARTMENT, PERMISSIONS, STAFF_ROLES, Principal
from backend.web.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
SOURCE = re.compile(r"^[a-z0-9][a-z0-9-]{1,63}$")


def _snapshot(staff: StaffMember) -> dict:
    return {"username": staff.username, "display_name": staff.display_name, "role": staff.role,
            "source": staff.source, "active": staff.active, "permissions": staff.permission_names}


def _check_password(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise InvalidInput(_("must be at least %(length)s characters", length=MIN_LENGTH), field="password",
                           reason="weak_password")


def create_staff(actor: Principal | None, *, username: str, display_name: str, password: str, role: str,
                 source: str | None = None, permissions: list[str] | tuple = ()) -> StaffMember:
    """Create a staff account; ``actor`` None means the command line (the first admin)."""
    username = username.strip().lower()
    if not USERNAME.match(username):
        raise InvalidInput(_("3–64 characters: lower-case letters, digits, '.', '_' or '-'"), field="username")
    if role not in STAFF_ROLES:
        raise InvalidInput(_("must be one of %(choices)s", choices=", ".join(STAFF_ROLES)), field="role")
    if role == DEPARTMENT:
        if not source or not SOURCE.match(source):
            raise InvalidInput(_("a department needs its source name (lower-case letters, digits, '-')"),
                               field="source")
    elif source:
        raise InvalidInput(_("only department accounts have a source"), field="source")
    _check_password(password)
    for permission in permissions:
        _check_permission(permission)
    if db.session.scalar(select(StaffMember.id).where(StaffMember.username == username)):
        raise Conflict(_("This username is taken."), reason="username_taken")
    staff = StaffMember(username=username, display_name=display_name.strip() or username,
                        password_hash=hash_password(password), role=role, source=source, active=True)
    staff.permissions = [StaffPermission(permission=p, granted_by=actor.id if actor else None)
                         for p in sorted(set(permissions))]
    db.session.add(staff)
    try:
        db.session.flush()
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict(_("This username is taken."), reason="username_taken") from exc
    audit.record(actor, "staff.create", "staff", staff.id, after=_snapshot(staff))
    db.session.commit()
    return staff


# Failed sign-ins per username (SPEC §10), whoever sends them: a guesser cannot spread over addresses.
LOGIN_FAILURES = ratelimits.Limit("staff-login-failures", "limits.staff_login_failures_per_15_minutes",
                                  15 * ratelimits.MINUTE,
                                  _("Too many failed sign-ins for this account; try again later."))


def authenticate(username: str, password: str) -> StaffMember:
    """The active staff member with these credentials; one refusal for every kind of failure. Each
    attempt is counted against the failure limit before the password is checked, and a success gives
    its count back, so a burst of guesses at once still checks no more passwords than the limit."""
    username = username.strip().lower()
    counted = ratelimits.attempt(LOGIN_FAILURES, username)
    staff = db.session.scalar(select(StaffMember).where(StaffMember.username == username))
    valid = verify_password(staff.password_hash if staff else None, password)
    if not valid or staff is None or not staff.active:
        raise Unauthenticated(_("Wrong username or password."), reason="invalid_credentials")
    counted.give_back()
    return staff


def get_staff(staff_id: int) -> StaffMember:
    staff = db.session.get(StaffMember, staff_id)
    if staff is None:
        raise NotFound(_("No such staff member."))
    return staff


def list_staff(*, role: str | None = None, active: bool | None = None):
    statement = select(StaffMember).order_by(StaffMember.id)
    if role:
        statement = statement.where(StaffMember.role == role)
    if active is not None:
        statement = statement.where(StaffMember.active.is_(active))
    return statement


def update_staff(actor: Principal, staff_id: int, *, display_name: str | None = None,
                 password: str | None = None) -> StaffMember:
    """Change a staff member's name or reset their password (which ends their sign-ins)."""
    staff = get_staff(staff_id)
    before = _snapshot(staff)
    if display_name is not None:
        staff.display_name = display_name.strip() or staff.username
    if password is not None:
        _check_password(password)
        staff.password_hash = hash_password(password)
        tokens.revoke_all("staff", staff.id, "password_reset")
    audit.record(actor, "staff.update", "staff", staff.id, before=before, after=_snapshot(staff),
                 note="password reset" if password is not None else None)
    db.session.commit()
    return staff


def set_active(actor: Principal, staff_id: int, active: bool) -> StaffMember:
    """Disable (ending every sign-in at once) or re-enable a staff account."""
    staff = get_staff(staff_id)
    if staff.id == actor.id and not active:
        raise Forbidden(_("You cannot disable your own account."), reason="self_change")
    if staff.active == active:
        return staff
    if not active and staff.role == ADMIN and _active_admins() <= 1:
        raise Conflict(_("The last active admin cannot be disabled."), reason="last_admin")
    before = _snapshot(staff)
    staff.active = active
    staff.disabled_at = None if active else utcnow()
    if not active:
        tokens.revoke_all("staff", staff.id, "disabled")
    audit.record(actor, "staff.enable" if active else "staff.disable", "staff", staff.id,
                 before=before, after=_snapshot(staff))
    db.session.commit()
    return staff


def _active_admins() -> int:
    return len(db.session.scalars(select(StaffMember.id).where(
        StaffMember.role == ADMIN, StaffMember.active.is_(True))).all())


def _check_permission(permission: str) -> None:
    if permission not in PERMISSIONS:
        raise InvalidInput(_("unknown permission; known: %(choices)s", choices=", ".join(PERMISSIONS)),
                           field="permission", reason="unknown_permission")


def grant(actor: Principal, staff_id: int, permission: str) -> StaffMember:
    """Grant a named permission; granting one already held changes nothing."""
    _check_permission(permission)
    staff = get_staff(staff_id)
    if staff.id == actor.id:
        raise Forbidden(_("Another admin must change your permissions."), reason="self_change")
    if permission in staff.permission_names:
        return staff
    before = _snapshot(staff)
    staff.permissions.append(StaffPermission(permission=permission, granted_by=actor.id))
    db.session.flush()
    audit.record(actor, "staff.grant", "staff", staff.id, before=before, after=_snapshot(staff))
    db.session.commit()
    return staff


def revoke(actor: Principal, staff_id: int, permission: str) -> StaffMember:
    """Revoke a named permission; effective on the staff member's next request."""
    _check_permission(permission)
    staff = get_staff(staff_id)
    if staff.id == actor.id:
        raise Forbidden(_("Another admin must change your permissions."), reason="self_change")
    grant_row = next((g for g in staff.permissions if g.permission == permission), None)
    if grant_row is None:
        return staff
    before = _snapshot(staff)
    staff.permissions.remove(grant_row)
    db.session.flush()
    audit.record(actor, "staff.revoke", "staff", staff.id, before=before, after=_snapshot(staff))
    db.session.commit()
    return staff


def principal_from_claims(claims: dict) -> Principal:
    """The live staff principal behind a token: role and permissions as they are now."""
    staff = db.session.get(StaffMember, claims["uid"])
    if staff is None or not staff.active:
        raise Unauthenticated(_("This account is disabled."), reason="account_disabled")
    return Principal(kind="staff", id=staff.id, roles=frozenset([staff.role]),
                     permissions=frozenset(staff.permission_names), family_id=claims["fam"],
                     source=staff.source, name=staff.username, extra={"display_name": staff.display_name})


def roles_of(staff_id: int) -> list[str]:
    staff = db.session.get(StaffMember, staff_id)
    return [staff.role] if staff else []
