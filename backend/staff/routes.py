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
    def get(self):
        """The signed-in staff member: name, role, source and permissions (what the console's menus follow)"""
        return service.get_staff(current_principal().id)


@blp.route("")
class StaffCollection(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(StaffListQuery, location="query")
    @blp.response(200, StaffSchema(many=True))
    @blp.paginate()
    def get(self, query, pagination_parameters):
        """List staff accounts"""
        return paginate(service.list_staff(**query), pagination_parameters)

    @blp.access(ADMIN)
    @blp.arguments(StaffCreateSchema)
    @blp.response(201, StaffSchema)
    @blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Create a staff account (admin, reviewer, or department tied to its source)"""
        return service.create_staff(current_principal(), **data)


@blp.route("/<int:staff_id>")
class StaffItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, staff_id):
        """One staff account"""
        return service.get_staff(staff_id)

    @blp.access(ADMIN)
    @blp.arguments(StaffUpdateSchema)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data, staff_id):
        """Rename a staff member or reset their password (ends their sign-ins)"""
        return service.update_staff(current_principal(), staff_id, **data)


@blp.route("/<int:staff_id>/disable")
class StaffDisable(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    def post(self, staff_id):
        """Disable a staff account; its tokens stop working at once"""
        return service.set_active(current_principal(), staff_id, False)


@blp.route("/<int:staff_id>/enable")
class StaffEnable(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, staff_id):
        """Re-enable a disabled staff account"""
        return service.set_active(current_principal(), staff_id, True)


@blp.route("/<int:staff_id>/permissions")
class StaffPermissions(MethodView):
    @blp.access(ADMIN)
    @blp.arguments(PermissionSchema)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, staff_id):
        """Grant a named permission"""
        return service.grant(current_principal(), staff_id, data["permission"])


@blp.route("/<int:staff_id>/permissions/<string:permission>")
class StaffPermissionItem(MethodView):
    @blp.access(ADMIN)
    @blp.response(200, StaffSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    def delete(self, staff_id, permission):
        """Revoke a named permission"""
        return service.revoke(current_principal(), staff_id, permission)
