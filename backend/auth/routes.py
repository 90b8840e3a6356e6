"""Sign-in, token refresh and logout under /api/v1/auth."""

from flask.views import MethodView

from backend.auth import service
from backend.auth.schemas import RefreshSchema, StaffLoginSchema, TokenPairSchema
from backend.staff import service as staff_service
from backend.web.access import SIGNED_IN_ROLES, current_principal
from backend.web.api import Blueprint

blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign-in and tokens")


def pair_body(pair: service.TokenPair) -> dict:
    return {"access_token": pair.access_token, "refresh_token": pair.refresh_token,
            "expires_in": int(service.ACCESS_TOKEN_TTL.total_seconds()),
            "access_expires_at": pair.access_expires_at, "refresh_expires_at": pair.refresh_expires_at,
            "roles": pair.roles}


@blp.route("/staff-login")
class StaffLogin(MethodView):
    @blp.public()
    @blp.arguments(StaffLoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.doc(operationId="staff_login")
    def post(self, data):
        """Staff sign-in

        Signs in a staff member with username and password and answers a token pair. Failed attempts are limited per
        username (429 with Retry-After).
        """
        staff = staff_service.authenticate(data["username"], data["password"])
        return pair_body(service.sign_in("staff", staff.id))


@blp.route("/refresh")
class Refresh(MethodView):
    @blp.public()
    @blp.arguments(RefreshSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.doc(operationId="refresh_tokens")
    def post(self, data):
        """Refresh the tokens

        Rotates a refresh token into a new pair. Reusing a spent refresh token ends its whole family, except within a
        short grace window in which a repeated refresh gets the same new pair.
        """
        return pair_body(service.refresh(data["refresh_token"]))


@blp.route("/logout")
class Logout(MethodView):
    @blp.access(*SIGNED_IN_ROLES)
    @blp.response(204)
    @blp.doc(operationId="logout")
    def post(self):
        """Sign out

        Ends this sign-in: its refresh token and its access tokens stop working.
        """
        service.logout(current_principal().family_id)
