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
    def post(self, data):
        """Sign in with the code from wx.login()"""
        return pair_body(service.wechat_sign_in(get_client(), data["code"]))


@blp.route("/me")
class Me(MethodView):
    @blp.access(RESIDENT)
    @blp.response(200, MeSchema)
    def get(self):
        """The signed-in account: roles, whether it is bound, and the resident (masked)"""
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
    def post(self, data):
        """Bind this WeChat account to the resident with this name and ID number"""
        resident = service.bind_identity(get_client(), current_principal().id, **data)
        return {"bound": True, "resident": residents.masked(resident)}

    @blp.access(RESIDENT)
    @blp.response(204)
    def delete(self):
        """Unbind this WeChat account from its resident"""
        service.unbind_identity(current_principal().id)
