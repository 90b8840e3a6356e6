"""Scan to claim over HTTP: operators get and rotate their offers' posters and watch the claims come in;
residents claim an offer by its poster's token."""

from flask import Response
from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.claims import poster, service
from backend.claims.schemas import ClaimFeedQuery, ClaimRequestSchema, ClaimSchema, PosterSchema, ShopClaimSchema
from backend.web.access import OPERATOR, RESIDENT, current_principal
from backend.web.api import Blueprint, paginate

merchant_blp = Blueprint("merchant_claims", __name__, url_prefix="/api/v1/merchant",
                         description="Posters and claims of a verifier's offers (扫码享优惠, operators)")
me_blp = Blueprint("offer_claims", __name__, url_prefix="/api/v1/me",
                   description="Claiming an offer by scanning a shop's poster (扫码享优惠)")


def _verifier_id() -> int:
    return current_principal().extra["verifier_id"]


def _poster_answer(found: service.Poster) -> dict:
    return {"offer_id": found.offer.id, "poster_token": found.token, "created_at": found.poster.created_at}


def _file(data: bytes, mimetype: str, name: str) -> Response:
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff"})


@merchant_blp.route("/offers/<int:offer_id>/poster")
class MyOfferPoster(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(200, PosterSchema)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="get_offer_poster")
    def get(self, offer_id):
        """The poster of one of my offers

        The token its QR code holds, made on the first request and the same afterwards until the poster is rotated.
        A withdrawn offer, or another verifier's, is 404 offer_not_found.
        """
        return _poster_answer(service.poster_of(current_principal(), _verifier_id(), offer_id))


@merchant_blp.route("/offers/<int:offer_id>/poster.png")
class MyOfferPosterPng(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(200, {"type": "string", "format": "binary"}, content_type="image/png",
                           description="the poster as an A5 page at 300 dpi")
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="get_offer_poster_png")
    def get(self, offer_id):
        """The poster of one of my offers as a PNG image

        An A5 page at 300 dpi in Chinese: the offer's title, the stars it asks for, the shop's name and the QR code.
        """
        found = service.poster_of(current_principal(), _verifier_id(), offer_id)
        return _file(poster.render_png(service.poster_content(found)), "image/png", f"poster-{offer_id}.png")


@merchant_blp.route("/offers/<int:offer_id>/poster.pdf")
class MyOfferPosterPdf(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                           description="the poster as an A5 PDF with its Chinese font embedded")
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="get_offer_poster_pdf")
    def get(self, offer_id):
        """The poster of one of my offers as a PDF

        The same A5 page as the PNG, to print at its size.
        """
        found = service.poster_of(current_principal(), _verifier_id(), offer_id)
        return _file(poster.render_pdf(service.poster_content(found)), "application/pdf", f"poster-{offer_id}.pdf")


@merchant_blp.route("/offers/<int:offer_id>/poster/rotate")
class MyOfferPosterRotate(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(201, PosterSchema)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.doc(operationId="rotate_offer_poster")
    def post(self, offer_id):
        """Replace the poster of one of my offers

        A new poster token; the old poster's QR code stops working at once (404 poster_invalid for whoever scans it).
        Print the new poster and take the old one down.
        """
        return _poster_answer(service.rotate_poster(current_principal(), _verifier_id(), offer_id))


@merchant_blp.route("/claims")
class ShopClaims(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.arguments(ClaimFeedQuery, location="query")
    @merchant_blp.response(200, ShopClaimSchema(many=True))
    @merchant_blp.paginate()
    @merchant_blp.doc(operationId="list_my_claims")
    def get(self, query, pagination_parameters):
        """Claims at my verifier

        Offers residents claimed by scanning the verifier's posters, newest first; with since, only those made after
        it. The operator's phone polls it to see claims as they come. Residents' names are masked.
        """
        page = paginate(service.feed(_verifier_id(), query.get("since")), pagination_parameters)
        return service.describe_claims(page)


@merchant_blp.route("/claims/<string:claim_no>/reverse")
class ShopClaimReverse(MethodView):
    @merchant_blp.access(OPERATOR)
    @merchant_blp.response(200, ShopClaimSchema)
    @merchant_blp.alt_response(404, response="NOT_FOUND")
    @merchant_blp.alt_response(409, response="CONFLICT")
    @merchant_blp.doc(operationId="reverse_claim")
    def post(self, claim_no):
        """Reverse a claim

        Until 24:00 China time of the claim's day (409 reversal_closed after): the claim no longer counts as a
        redemption and the resident's monthly quota comes back. Recorded. Reversing it again changes nothing.
        """
        reversed_claim = service.reverse(current_principal(), _verifier_id(), claim_no)
        return service.describe_claims([reversed_claim])[0]


@me_blp.route("/offer-claims")
class OfferClaims(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(ClaimRequestSchema)
    @me_blp.response(201, ClaimSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.alt_response(409, response="CONFLICT")
    @me_blp.doc(operationId="claim_offer")
    def post(self, data):
        """Claim an offer by its poster

        The text of a shop's poster QR code (wx.scanCode) claims its offer: a redemption like a scanned credit code,
        sharing the offer's monthly quota, and a query record the resident sees. Refused: unknown or replaced poster
        (404 poster_invalid), offer not available or shop suspended (409 offer_unavailable), too few stars (409
        stars_too_low), quota spent (409 quota_exhausted), too many claims today (429). A refused claim records
        nothing.
        """
        principal = current_principal()
        return service.claim(principal.id, bound_resident(principal), data["poster_token"])
