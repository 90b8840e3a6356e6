"""Verifiers over HTTP: admins register them, operators join by invite and manage offers, anyone
browses current offers."""

from flask.views import MethodView

from backend.verifiers import service
from backend.verifiers.schemas import (
    ApiKeyCreateSchema,
    ApiKeySchema,
    InviteSchema,
    NewApiKeySchema,
    OfferCreateSchema,
    OfferSchema,
    OfferUpdateSchema,
    OperatorSchema,
    PublicOfferQuery,
    PublicOfferSchema,
    ReasonSchema,
    RedeemResultSchema,
    RedeemSchema,
    VerifierCreateSchema,
    VerifierQuery,
    VerifierSchema,
    VerifierUpdateSchema,
)
from backend.web import ratelimits
from backend.web.access import ADMIN, OPERATOR, RESIDENT, current_principal
from backend.web.api import Blueprint, paginate

admin_blp = Blueprint("verifiers_admin", __name__, url_prefix="/api/v1/admin/verifiers",
                      description="Verifiers, operators and API keys (admins)")
redeem_blp = Blueprint("verifier_invites", __name__, url_prefix="/api/v1/auth/verifier-invites",
                       description="Operators join a verifier")
merchant_blp = Blueprint("merchant_offers", __name__, url_prefix="/api/v1/merchant/offers",
                         description="A verifier's own offers (operators)")
public_blp = Blueprint("public_offers", __name__, url_prefix="/api/v1/public/offers", description="Offers")


def api_key_principal(key: str):
    """X-API-Key authentication, its wrong keys limited per address of the caller."""
    return service.principal_from_api_key(key, ratelimits.client_ip())


@admin_blp.route("")
class Verifiers(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(VerifierQuery, location="query")
    @admin_blp.response(200, VerifierSchema(many=True))
    @admin_blp.paginate()
    def get(self, query, pagination_parameters):
        """Verifiers, filtered by kind, town and status"""
        return paginate(service.list_verifiers(**query), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(VerifierCreateSchema)
    @admin_blp.response(201, VerifierSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, data):
        """Register a merchant, bank or organisation (valid USCC required)"""
        return service.create_verifier(current_principal(), **data)


@admin_blp.route("/<int:verifier_id>")
class VerifierItem(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, verifier_id):
        """One verifier"""
        return service.get_verifier(verifier_id)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(VerifierUpdateSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data, verifier_id):
        """Correct a verifier's name, town or address"""
        return service.update_verifier(current_principal(), verifier_id, data)


@admin_blp.route("/<int:verifier_id>/suspend")
class VerifierSuspend(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ReasonSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, verifier_id):
        """Suspend a verifier: its operators and keys are refused from their next request"""
        return service.set_status(current_principal(), verifier_id, "suspended", data["reason"])


@admin_blp.route("/<int:verifier_id>/reinstate")
class VerifierReinstate(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ReasonSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, data, verifier_id):
        """Reinstate a suspended verifier"""
        return service.set_status(current_principal(), verifier_id, "active", data["reason"])


@admin_blp.route("/<int:verifier_id>/invites")
class VerifierInvites(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(201, InviteSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, verifier_id):
        """A one-time invite code for the verifier's staff (expires after the set days)"""
        code, invite = service.create_invite(current_principal(), verifier_id)
        return {"invite_code": code, "expires_at": invite.expires_at}


@admin_blp.route("/<int:verifier_id>/operators")
class VerifierOperators(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, OperatorSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, verifier_id, pagination_parameters):
        """The verifier's operators, past ones included"""
        return paginate(service.list_operators(verifier_id), pagination_parameters)


@admin_blp.route("/<int:verifier_id>/operators/<int:operator_id>")
class VerifierOperator(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, OperatorSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, verifier_id, operator_id):
        """Remove an operator; their next request is refused"""
        return service.remove_operator(current_principal(), verifier_id, operator_id)


@admin_blp.route("/<int:verifier_id>/api-keys")
class VerifierApiKeys(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, ApiKeySchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, verifier_id, pagination_parameters):
        """The verifier's API keys (prefix, created, last used, revoked)"""
        return paginate(service.list_api_keys(verifier_id), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ApiKeyCreateSchema)
    @admin_blp.response(201, NewApiKeySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    def post(self, data, verifier_id):
        """A new API key for a bank's system, shown this once"""
        key, row = service.create_api_key(current_principal(), verifier_id, data.get("label"))
        return {"api_key": key, **{name: getattr(row, name) for name in
                                   ("id", "prefix", "label", "created_at", "last_used_at", "revoked_at")}}


@admin_blp.route("/<int:verifier_id>/api-keys/<int:key_id>")
class VerifierApiKey(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, ApiKeySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, verifier_id, key_id):
        """Revoke an API key; it is refused from the next request"""
        return service.revoke_api_key(current_principal(), verifier_id, key_id)


@redeem_blp.route("/redeem")
class RedeemInvite(MethodView):
    @redeem_blp.access(RESIDENT)
    @redeem_blp.arguments(RedeemSchema)
    @redeem_blp.response(200, RedeemResultSchema)
    @redeem_blp.alt_response(404, response="NOT_FOUND")
    @redeem_blp.alt_response(409, response="CONFLICT")
    @redeem_blp.alt_response(410, response="GONE")
    def post(self, data):
        """Join a verifier as an operator with an admin's invite code (a resident keeps their role)"""
        principal = current_principal()
        operator = service.redeem_invite(principal.id, data["invite_code"])
        roles = sorted({*principal.roles, OPERATOR})
        return {"operator": operator, "verifier": operator.verifier, "roles": roles}


def _verifier_id() -> int:
    return current_principal().extra["verifier_id"]


@merchant_blp.route("")
class MerchantOffers(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(200, OfferSchema(many=True))
    @merchant_blp.paginate()
    def get(self, pagination_parameters):
        """My verifier's offers"""
        return paginate(service.own_offers(_verifier_id()), pagination_parameters)

    @merchant_blp.access(OPERATOR)
    @merchant_blp.arguments(OfferCreateSchema)
    @merchant_blp.response(201, OfferSchema)
    def post(self, data):
        """Publish an offer for residents with at least min_stars"""
        return service.create_offer(current_principal(), _verifier_id(), **data)


@merchant_blp.route("/<int:offer_id>")
class MerchantOffer(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.arguments(OfferUpdateSchema)
    @merchant_blp.response(200, OfferSchema)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, data, offer_id):
        """Change one of my verifier's offers"""
        return service.update_offer(current_principal(), _verifier_id(), offer_id, data)

    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(204)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, offer_id):
        """Withdraw one of my verifier's offers"""
        service.withdraw_offer(current_principal(), _verifier_id(), offer_id)


@public_blp.route("")
class PublicOffers(MethodView):
    @public_blp.public()
    @public_blp.arguments(PublicOfferQuery, location="query")
    @public_blp.response(200, PublicOfferSchema(many=True))
    @public_blp.paginate()
    def get(self, query, pagination_parameters):
        """Current offers of active verifiers, filtered by town, verifier kind and stars"""
        return paginate(service.public_offers(**query), pagination_parameters)
