"""Credit reports over HTTP: the resident's reports, the office's revocation, the public check and its page."""

from pathlib import Path

from flask import Blueprint as FlaskBlueprint
from flask import Response, current_app, request
from flask.views import MethodView

from backend.accounts.service import bound_resident
from backend.credit_reports import document, service
from backend.credit_reports.schemas import (
    AdminRevokeSchema,
    CheckRequestSchema,
    CheckResultSchema,
    IssuedReportSchema,
    PdfHeaders,
    ReportRequestSchema,
    ReportSchema,
    ReportSummarySchema,
    RevocationSchema,
)
from backend.privacy import readback_codes
from backend.web import pages
from backend.web.access import ADMIN, RESIDENT, current_principal
from backend.web.api import Blueprint, paginate

me_blp = Blueprint("credit_reports_me", __name__, url_prefix="/api/v1/me/credit/reports",
                   description="My credit reports (个人信用积分评价报告)")
admin_blp = Blueprint("credit_reports_admin", __name__, url_prefix="/api/v1/admin/credit-reports",
                      description="Revoking credit reports (staff)")
public_blp = Blueprint("credit_reports_public", __name__, url_prefix="/api/v1/public/credit-reports",
                       description="Checking a credit report by its verification code")
page_blp = FlaskBlueprint("credit_report_check_page", __name__, url_prefix="/check")

CHECK_PAGE = Path(__file__).parent / "check_page"


def public_base() -> str:
    """Where the public reaches this service: ``PUBLIC_BASE_URL``, else the address of this request."""
    return (current_app.config.get("PUBLIC_BASE_URL") or request.host_url).rstrip("/")


@me_blp.route("")
class MyReports(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(ReportRequestSchema)
    @me_blp.response(201, IssuedReportSchema)
    @me_blp.alt_response(429, response="TOO_MANY_REQUESTS")
    @me_blp.doc(operationId="create_credit_report")
    def post(self, data):
        """Issue a credit report

        Issue a credit report: a frozen, signed snapshot of my credit, valid 30 days by default (5 a day).
        """
        principal = current_principal()
        issued = service.issue(principal, bound_resident(principal), data["purpose"])
        return {"report_no": issued.report.report_no, "verification_code": readback_codes.display(
                issued.verification_code), "issued_at": issued.report.issued_at,
                "valid_until": issued.report.valid_until, "signed_snapshot": issued.signed_snapshot}

    @me_blp.access(RESIDENT)
    @me_blp.response(200, ReportSummarySchema(many=True))
    @me_blp.paginate()
    @me_blp.doc(operationId="list_my_credit_reports")
    def get(self, pagination_parameters):
        """My credit reports

        My credit reports, newest first, each with its status (valid, expired or revoked).
        """
        resident = bound_resident(current_principal())
        return [service.summary(report) for report in paginate(service.mine(resident.id), pagination_parameters)]


@me_blp.route("/<string:report_no>")
class MyReport(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, ReportSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.doc(operationId="get_my_credit_report")
    def get(self, report_no):
        """One of my reports as JSON

        One of my reports as JSON: the frozen snapshot and the signed snapshot.
        """
        resident = bound_resident(current_principal())
        return service.describe(service.get_own(resident.id, report_no))


@me_blp.route("/<string:report_no>.pdf")
class MyReportPdf(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.arguments(PdfHeaders, location="headers")
    @me_blp.response(200, {"type": "string", "format": "binary"}, content_type="application/pdf",
                     description="the report as an A4 PDF in Chinese")
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @me_blp.doc(operationId="get_my_credit_report_pdf")
    def get(self, headers, report_no):
        """One of my reports as a PDF

        One of my reports as a PDF; send its verification code in X-Verification-Code (it is printed on the report, and
        the server does not keep it).
        """
        resident = bound_resident(current_principal())
        report = service.get_own(resident.id, report_no)
        code = service.code_for_pdf(report, headers.get("verification_code"))
        base = public_base()
        data = document.render(service.snapshot_of(report), code_display=readback_codes.display(code),
                               check_url=f"{base}/check#{code}", check_page=f"{base}/check",
                               jwks_url=f"{base}/api/v1/.well-known/jwks.json")
        return Response(data, mimetype="application/pdf", headers={
            "Content-Disposition": f'attachment; filename="{report.report_no}.pdf"',
            "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"})


@me_blp.route("/<string:report_no>/revoke")
class MyReportRevoke(MethodView):
    @me_blp.access(RESIDENT)
    @me_blp.response(200, ReportSchema)
    @me_blp.alt_response(404, response="NOT_FOUND")
    @me_blp.doc(operationId="revoke_my_credit_report")
    def post(self, report_no):
        """Revoke one of my reports

        Revoke one of my reports: from now on its check answers revoked (again: no change).
        """
        principal = current_principal()
        resident = bound_resident(principal)
        return service.describe(service.revoke_own(principal, resident.id, report_no))


@admin_blp.route("/<string:report_no>/revoke")
class OfficeRevoke(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(AdminRevokeSchema)
    @admin_blp.response(200, RevocationSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.doc(operationId="revoke_credit_report")
    def post(self, data, report_no):
        """Revoke a resident's report

        Revoke a resident's report, with the reason (recorded; the resident sees it). The answer shows the revocation
        only, nothing of the resident's credit.
        """
        report = service.revoke_by_office(current_principal(), report_no, data["reason"])
        return {"report_no": report.report_no, "status": service.status_of(report), "revoked_at": report.revoked_at,
                "revoked_by": report.revoked_by}


@public_blp.route("/check")
class Check(MethodView):
    @public_blp.public()
    @public_blp.arguments(CheckRequestSchema)
    @public_blp.response(200, CheckResultSchema, headers={"Cache-Control": {"schema": {"type": "string"}}})
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @public_blp.doc(operationId="public_create_credit_report_check")
    def post(self, data):
        """Check a credit report by its verification code

        Check a credit report by its verification code: valid, expired or revoked, and whose (masked). The resident sees
        each check in their query records.
        """
        return service.check(data["code"]), 200, {"Cache-Control": "no-store"}


@page_blp.route("", strict_slashes=False)
@pages.page
def check_page():
    return pages.send(CHECK_PAGE, "check.html", "text/html; charset=utf-8")


@page_blp.route("/check.js")
@pages.page
def check_script():
    return pages.send(CHECK_PAGE, "check.js", "text/javascript; charset=utf-8")


@page_blp.route("/check.css")
@pages.page
def check_style():
    return pages.send(CHECK_PAGE, "check.css", "text/css; charset=utf-8")
