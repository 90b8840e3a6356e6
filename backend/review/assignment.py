"""Assigning a case to a reviewer (SPEC §5, §6: ``POST .../{id}/assign {reviewer_id}``)."""

from backend.data.extensions import db
from backend.i18n import _
from backend.staff.models import StaffMember
from backend.web.access import ADMIN, REVIEWER
from backend.web.errors import InvalidInput


class NotAReviewer(InvalidInput):
    reason = "not_a_reviewer"

    def __init__(self):
        super().__init__(_("must be an active reviewer or admin"), field="reviewer_id")


def reviewer(staff_id: int) -> StaffMember:
    """The active reviewer or admin a case may be assigned to; 422 ``not_a_reviewer`` otherwise."""
    staff = db.session.get(StaffMember, staff_id)
    if staff is None or not staff.active or staff.role not in (REVIEWER, ADMIN):
        raise NotAReviewer()
    return staff
