"""Admins manage staff accounts at /api/v1/admin/staff."""

from flask.views import MethodView

from backend.staff import service
from backend.staff.schemas import (
    PermissionSchema,
    StaffCreateSchema,
    StaffListQuery,
    StaffSchema,
    StaffUpdateSchema,
)
from backend.web.access import ADMIN, STAFF_ROLES, current_principal
from backend.web.api import Blueprint, paginate

blp = Blueprint("staff", __name__, url_prefix="/api/v1/admin/staff", description="Staff accounts (admins)")
me_blp = Blueprint("staff_me", __name__, url_prefix="/api/v1/staff/me", description="The signed-in staff member")


@me_blp.route("")
class StaffMe(MethodView):
    @me_blp.access(*STAFF_ROLES)
    @me_blp.response(200, StaffSchema)
    @me_blp.alt_response(401, response="UNAUTHORIZED")
    @me_blp.doc(operationId="get_my_staff_account")
    def get(self):
        """The signed-in staff member

        Answers the signed-in staff member's name, role, source and permissions: what the console's menus follow.
        """
        return service.get_staff(current_principal().id)


@blp.route("")
class StaffCollection(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(StaffListQuery, location="query")
    @blp.response(200, StaffSchema(many=True))
    @blp.paginate()
    @blp.doc(operationId="list_staff")
    def get(self, query, pagination_parameters):
        """Staff accounts

        Admins, reviewers and departments, with their roles and permissions.
        """
        return paginate(service.list_staff(**query), pagination_parameters)

    @blp.access(ADMIN)
    @blp.arguments(StaffCreateSchema)
    @blp.response(201, StaffSchema)
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(operationId="create_staff")
    def post(self, data):
        """Create a staff account

        An admin, a reviewer, or a department tied to its source name. The username must be new (409 otherwise).
        """
        return service.create_staff(current_principal(), **data)


@blp.route("/<int:staff_id>")
class StaffItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="get_staff")
    def get(self, staff_id):
        """One staff account

        The account with its role, source and permissions.
        """
        return service.get_staff(staff_id)

    @blp.access(ADMIN)
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="update_staff")
    def patch(self, data, staff_id):
        """Rename a staff member or reset their password

        A new password ends every sign-in of the account.
        """
        return service.update_staff(current_principal(), staff_id, **data)


@blp.route("/<int:staff_id>/disable")
class StaffDisable(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.doc(operationId="disable_staff")
    def post(self, staff_id):
        """Disable a staff account

        The account's tokens stop working at once; it cannot sign in until enabled again.
        """
        return service.set_active(current_principal(), staff_id, False)


@blp.route("/<int:staff_id>/enable")
class StaffEnable(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="enable_staff")
    def post(self, staff_id):
        """Enable a disabled staff account

        The account can sign in again.
        """
        return service.set_active(current_principal(), staff_id, True)


@blp.route("/<int:staff_id>/permissions")
class StaffPermissions(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(PermissionSchema)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.doc(operationId="grant_staff_permission")
    def post(self, data, staff_id):
        """Grant a named permission

        Permissions such as reports:identity and rewards:pay come on top of the role; granting one is recorded.
        """
        return service.grant(current_principal(), staff_id, data["permission"])


@blp.route("/<int:staff_id>/permissions/<string:permission>")
class StaffPermissionItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @blp.doc(operationId="revoke_staff_permission")
    def delete(self, staff_id, permission):
        """Revoke a named permission

        Takes effect from the account's next request; revoking is recorded.
        """
        return service.revoke(current_principal(), staff_id, permission)
