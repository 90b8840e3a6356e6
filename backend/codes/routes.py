"""Credit codes over HTTP: the resident's code, verification by operators and bank systems, the JWKS."""

from flask import Response
from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.codes import keys, service
from backend.codes.schemas import (
    CodeQuery,
    CodeRequestSchema,
    CodeSchema,
    JwksSchema,
    VerificationHistorySchema,
    VerificationRequestSchema,
    VerificationResultSchema,
)
from backend.dates.timeutil import as_local
from backend.web import metrics
from backend.web.access import OPERATOR, RESIDENT, VERIFIER_SYSTEM, current_principal
from backend.web.api import Blueprint, paginate
from backend.web.errors import DomainError

me_blp = Blueprint("credit_code", __name__, url_prefix="/api/v1/me", description="My credit code (信用码)")
verify_blp = Blueprint("verifications", __name__, url_prefix="/api/v1", description="Verifying credit codes")
jwks_blp = Blueprint("jwks", __name__, url_prefix="/api/v1/.well-known", description="Public keys of codes")


@me_blp.route("/credit-code")
class CreditCode(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(CodeRequestSchema)
    @me_blp.response(201, CodeSchema)
    @me_blp.doc(operationId="create_credit_code")
    def post(self, data):
        """A fresh credit code

        A signed, single-use token (valid 60 s by default) to show as a QR code; refresh it every minute. The answer
        carries the QR code as SVG too.
        """
        issued = service.issue(bound_resident(current_principal()), data["scope"])
        return {"token": issued.token, "expires_at": issued.expires_at, "qr_svg": service.qr_svg(issued.token)}


@me_blp.route("/credit-code.png")
class CreditCodePng(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(CodeQuery, location="query")
    @me_blp.response(200, {"type": "string", "format": "binary"}, content_type="image/png",
                     description="the code as a PNG; its expiry is in the X-Expires-At header")
    @me_blp.doc(operationId="get_credit_code_png")
    def get(self, query):
        """A fresh credit code as a PNG image

        The same code as a PNG QR code; its expiry is in the X-Expires-At header.
        """
        principal = current_principal()
        issued, image = service.issue_png(principal.id, bound_resident(principal), query["scope"])
        return Response(image, mimetype="image/png",
                        headers={"Cache-Control": "no-store", "X-Expires-At": as_local(issued.expires_at).isoformat()})


@verify_blp.route("/verifications")
class Verifications(MethodView):
    @verify_blp.access(OPERATOR, VERIFIER_SYSTEM)
    @verify_blp.arguments(VerificationRequestSchema)
    @verify_blp.response(200, VerificationResultSchema)
    @verify_blp.alt_response(400, response="BAD_REQUEST")
    @verify_blp.alt_response(404, response="NOT_FOUND")
    @verify_blp.alt_response(409, response="CONFLICT")
    @verify_blp.alt_response(410, response="GONE")
    @verify_blp.doc(operationId="verify_credit_code")
    def post(self, data):
        """Verify a credit code

        Consumes a resident's credit code and answers with the live stars, the masked name, the offers the resident
        may use and, with offer_id, the redemption. A code is single use (409 code_used), expires (410 code_expired)
        and must be genuine (400 code_invalid). Operators and banks' systems (X-API-Key) may call it; scope detailed
        only banks.
        """
        try:
            answer = service.verify(current_principal(), **data)
        except DomainError as refusal:
            metrics.count_verification(refusal.reason)
            raise
        metrics.count_verification(answer.get("redeem_refused_reason") or "ok")
        return answer


@verify_blp.route("/merchant/verifications")
class MerchantVerifications(MethodView):
    @verify_blp.access(OPERATOR)
    @verify_blp.response(200, VerificationHistorySchema(many=True))
    @verify_blp.paginate()
    @verify_blp.doc(operationId="list_my_verifications")
    def get(self, pagination_parameters):
        """My verifier's verifications

        Newest first; residents' names are masked.
        """
        page = paginate(service.history(current_principal().extra["verifier_id"]), pagination_parameters)
        return service.describe_history(page)


@jwks_blp.route("/jwks.json")
class Jwks(MethodView):
    @jwks_blp.public()
    @jwks_blp.response(200, JwksSchema)
    @jwks_blp.doc(operationId="get_jwks")
    def get(self):
        """Public signing keys (JWKS)

        Every public key whose codes may still be alive, for offline authenticity checks by a bank's system. An
        offline check proves that a code is authentic, unexpired and which stars it carried at issue; it does not
        consume the code.
        """
        keys.active_signer()  # a fresh install publishes its first key before any code exists
        return {"keys": [keys.jwk(key) for key in keys.published()]}
