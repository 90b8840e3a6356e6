"""WeChat sign-in, the resident's own profile, and identity binding."""

from flask.views import MethodView

from backend.accounts import service
from backend.accounts.schemas import BindResultSchema, BindSchema, MeSchema, WeChatLoginSchema
from backend.auth.routes import pair_body
from backend.auth.schemas import TokenPairSchema
from backend.residents import service as residents
from backend.web.access import RESIDENT, current_principal
from backend.web.api import Blueprint
from backend.wechat import get_client

blp = Blueprint("accounts", __name__, url_prefix="/api/v1", description="WeChat sign-in and identity binding")


@blp.route("/auth/wechat-login")
class WeChatLogin(MethodView):
    @blp.public()
    @blp.arguments(WeChatLoginSchema)
    @blp.response(200, TokenPairSchema)
    @blp.alt_response(401, response="UNAUTHORIZED")
    @blp.alt_response(403, response="FORBIDDEN")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.alt_response(502, response="BAD_GATEWAY")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    @blp.doc(operationId="wechat_login")
    def post(self, data):
        """WeChat sign-in

        Exchanges the code from wx.login() for a token pair. Without WeChat credentials (development) a code
        `dev-<name>` signs in as that test user.
        """
        return pair_body(service.wechat_sign_in(get_client(), data["code"]))


@blp.route("/me")
class Me(MethodView):
    @blp.access(RESIDENT)
    @blp.response(200, MeSchema)
    @blp.doc(operationId="get_me")
    def get(self):
        """The signed-in account

        Roles, whether the account is bound to a resident, and that resident, masked.
        """
        principal = current_principal()
        account = service.get_account(principal.id)
        resident = residents.masked(account.resident) if account.resident else None
        return {"account_id": account.id, "roles": sorted(principal.roles), "bound": resident is not None,
                "bound_at": account.bound_at, "resident": resident}


@blp.route("/me/identity")
class Identity(MethodView):
    @blp.access(RESIDENT)
    @blp.arguments(BindSchema)
    @blp.response(200, BindResultSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT")
    @blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @blp.alt_response(502, response="BAD_GATEWAY")
    @blp.alt_response(503, response="SERVICE_UNAVAILABLE")
    @blp.doc(operationId="bind_identity")
    def post(self, data):
        """Bind my identity

        Links this WeChat account to the resident with this name and ID number; when the registry holds the resident's
        phone, the WeChat phone code is needed too. A mismatch and an unknown resident give the same 404; attempts are
        limited per day.
        """
        resident = service.bind_identity(get_client(), current_principal().id, **data)
        return {"bound": True, "resident": residents.masked(resident)}

    @blp.access(RESIDENT)
    @blp.response(204)
    @blp.doc(operationId="unbind_identity")
    def delete(self):
        """Unbind my identity

        Ends the link between this WeChat account and its resident.
        """
        service.unbind_identity(current_principal().id)
