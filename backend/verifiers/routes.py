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
    @admin_blp.doc(operationId="list_verifiers")
    def get(self, query, pagination_parameters):
        """Verifiers

        Merchants, banks and organisations, filtered by kind, town and status.
        """
        return paginate(service.list_verifiers(**query), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(VerifierCreateSchema)
    @admin_blp.response(201, VerifierSchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="create_verifier")
    def post(self, data):
        """Register a verifier

        A merchant, bank or organisation with a valid unified social credit code (USCC); a USCC already registered is
        409.
        """
        return service.create_verifier(current_principal(), **data)


@admin_blp.route("/<int:verifier_id>")
class VerifierItem(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="get_verifier")
    def get(self, verifier_id):
        """One verifier

        The verifier with its kind, town, address and status.
        """
        return service.get_verifier(verifier_id)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(VerifierUpdateSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="update_verifier")
    def patch(self, data, verifier_id):
        """Correct a verifier

        Name, town or address; the USCC and kind stay.
        """
        return service.update_verifier(current_principal(), verifier_id, data)


@admin_blp.route("/<int:verifier_id>/suspend")
class VerifierSuspend(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ReasonSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="suspend_verifier")
    def post(self, data, verifier_id):
        """Suspend a verifier

        Its operators and API keys are refused from their next request (403 verifier_suspended); the reason is
        recorded.
        """
        return service.set_status(current_principal(), verifier_id, "suspended", data["reason"])


@admin_blp.route("/<int:verifier_id>/reinstate")
class VerifierReinstate(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ReasonSchema)
    @admin_blp.response(200, VerifierSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="reinstate_verifier")
    def post(self, data, verifier_id):
        """Reinstate a suspended verifier

        Its operators and API keys work again.
        """
        return service.set_status(current_principal(), verifier_id, "active", data["reason"])


@admin_blp.route("/<int:verifier_id>/invites")
class VerifierInvites(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(201, InviteSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="create_verifier_invite")
    def post(self, verifier_id):
        """Invite an operator

        A one-time invite code for the verifier's staff; they redeem it after their WeChat sign-in. It expires after
        the days the settings say.
        """
        code, invite = service.create_invite(current_principal(), verifier_id)
        return {"invite_code": code, "expires_at": invite.expires_at}


@admin_blp.route("/<int:verifier_id>/operators")
class VerifierOperators(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, OperatorSchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="list_verifier_operators")
    def get(self, verifier_id, pagination_parameters):
        """A verifier's operators

        Current and past operators of the verifier.
        """
        return paginate(service.list_operators(verifier_id), pagination_parameters)


@admin_blp.route("/<int:verifier_id>/operators/<int:operator_id>")
class VerifierOperator(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, OperatorSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="remove_verifier_operator")
    def delete(self, verifier_id, operator_id):
        """Remove an operator

        The operator's next request is refused.
        """
        return service.remove_operator(current_principal(), verifier_id, operator_id)


@admin_blp.route("/<int:verifier_id>/api-keys")
class VerifierApiKeys(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, ApiKeySchema(many=True))
    @admin_blp.paginate()
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="list_verifier_api_keys")
    def get(self, verifier_id, pagination_parameters):
        """A verifier's API keys

        Prefix, creation, last use and revocation of each key; the keys themselves are never shown again.
        """
        return paginate(service.list_api_keys(verifier_id), pagination_parameters)

    @admin_blp.access(ADMIN)
    @admin_blp.arguments(ApiKeyCreateSchema)
    @admin_blp.response(201, NewApiKeySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.doc(operationId="create_verifier_api_key")
    def post(self, data, verifier_id):
        """Create an API key for a bank's system

        The key is in this answer only; it is stored hashed. The bank's system sends it as the X-API-Key header.
        """
        key, row = service.create_api_key(current_principal(), verifier_id, data.get("label"))
        return {"api_key": key, **{name: getattr(row, name) for name in
                                   ("id", "prefix", "label", "created_at", "last_used_at", "revoked_at")}}


@admin_blp.route("/<int:verifier_id>/api-keys/<int:key_id>")
class VerifierApiKey(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(200, ApiKeySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="revoke_verifier_api_key")
    def delete(self, verifier_id, key_id):
        """Revoke an API key

        The key is refused from the next request.
        """
        return service.revoke_api_key(current_principal(), verifier_id, key_id)


@redeem_blp.route("/redeem")
class RedeemInvite(MethodView):
    @redeem_blp.access(RESIDENT)
    @redeem_blp.arguments(RedeemSchema)
    @redeem_blp.response(200, RedeemResultSchema)
    @redeem_blp.alt_response(404, response="NOT_FOUND")
    @redeem_blp.alt_response(409, response="CONFLICT")
    @redeem_blp.alt_response(410, response="GONE")
    @redeem_blp.doc(operationId="redeem_verifier_invite")
    def post(self, data):
        """Join a verifier as an operator

        Redeems an admin's one-time invite code with this WeChat sign-in; a resident keeps their role. Attempts are
        limited per account.
        """
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
    @merchant_blp.doc(operationId="list_my_offers")
    def get(self, pagination_parameters):
        """My verifier's offers

        Current, future and withdrawn offers of the operator's verifier.
        """
        return paginate(service.own_offers(_verifier_id()), pagination_parameters)

    @merchant_blp.access(OPERATOR)
    @merchant_blp.arguments(OfferCreateSchema)
    @merchant_blp.response(201, OfferSchema)
    @merchant_blp.doc(operationId="create_offer")
    def post(self, data):
        """Publish an offer

        An offer for residents with at least min_stars, valid between valid_from and valid_to, optionally limited per
        resident and month.
        """
        return service.create_offer(current_principal(), _verifier_id(), **data)


@merchant_blp.route("/<int:offer_id>")
class MerchantOffer(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.arguments(OfferUpdateSchema)
    @merchant_blp.response(200, OfferSchema)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="update_offer")
    def patch(self, data, offer_id):
        """Change an offer

        Change one of my verifier's offers.
        """
        return service.update_offer(current_principal(), _verifier_id(), offer_id, data)

    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(204)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="withdraw_offer")
    def delete(self, offer_id):
        """Withdraw an offer

        The offer leaves the public list and can no longer be redeemed.
        """
        service.withdraw_offer(current_principal(), _verifier_id(), offer_id)


@public_blp.route("")
class PublicOffers(MethodView):
    @public_blp.public()
    @public_blp.arguments(PublicOfferQuery, location="query")
    @public_blp.response(200, PublicOfferSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="list_public_offers")
    def get(self, query, pagination_parameters):
        """Offers

        Current offers of active verifiers, filtered by town, verifier kind and minimum stars.
        """
        return paginate(service.public_offers(**query), pagination_parameters)
