"""Monthly monitoring over HTTP (SPEC §8): admins read any month's figures (JSON or CSV) and publish ended
months; anyone reads the published months."""


from flask import Response
from flask.views import MethodView

from backend.monitoring import service
from backend.monitoring.schemas import (
    MONTH_PATTERN,
    MonthlyQuery,
    MonthlySchema,
    MonthlyTownQuery,
    PublishedMonthSummarySchema,
)
from backend.web.access import ADMIN, current_principal
from backend.web.api import Blueprint, paginate

admin_blp = Blueprint("monitoring_admin", __name__, url_prefix="/api/v1/admin/stats/monthly",
                      description="Monthly monitoring: figures, warnings, publication (admins)")
public_blp = Blueprint("monitoring_public", __name__, url_prefix="/api/v1/public/stats/monthly",
                       description="Published monthly monitoring results and warnings")

MONTH_PARAMETER = {"in": "path", "name": "month", "required": True, "description": "the month, YYYY-MM",
                   "schema": {"type": "string", "pattern": MONTH_PATTERN, "example": "2026-11"}}
CSV_RESPONSE = {"200": {"description": "the month's figures; with format=csv one row per town and a last row "
                                       "for the city (town empty)",
                        "content": {"text/csv": {"schema": {"type": "string"}}}}}


@admin_blp.route("")
class MonthlyFigures(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.arguments(MonthlyQuery, location="query")
    @admin_blp.response(200, MonthlySchema)
    @admin_blp.doc(responses=CSV_RESPONSE, operationId="get_monthly_figures")
    def get(self, query):
        """A month's figures per town and city-wide, with its warnings (frozen once published)

        Computed with aggregate SQL as of 24:00 Asia/Shanghai on the month's last day (the running month: as of
        now); a published month is read as it was published. ``format=csv`` gives the figures as CSV.
        """
        document = service.with_messages(service.monthly(query["month"]))
        if query["format"] == "csv":
            return Response(service.csv_text(document), mimetype="text/csv", headers={
                "Content-Disposition": f'attachment; filename="monitoring-{query["month"]}.csv"',
                "Cache-Control": "no-store"})
        return document


@admin_blp.route("/<month>/publish", parameters=[MONTH_PARAMETER])
class MonthlyPublish(MethodView):
    @admin_blp.access(ADMIN)
    @admin_blp.response(201, MonthlySchema)
    @admin_blp.alt_response(409, response="CONFLICT")
    @admin_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @admin_blp.doc(operationId="publish_month")
    def post(self, month):
        """Publish an ended month: freeze its figures and warnings (按月度发布监测结果和预警报告)

        Later events, decisions and imports never change a published month. Publishing it again is 409
        ``already_published``; a month that has not ended is 409 ``month_not_ended``.
        """
        return service.with_messages(service.publish(current_principal(), month))


@public_blp.route("")
class PublishedMonths(MethodView):
    @public_blp.public()
    @public_blp.arguments(MonthlyTownQuery, location="query")
    @public_blp.response(200, PublishedMonthSummarySchema(many=True))
    @public_blp.paginate()
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.doc(operationId="list_published_months")
    def get(self, query, pagination_parameters):
        """Published months, newest first, each with the city's figures or one town's (a trend over months)

        Each item holds a month's figures as they were published (24:00 Asia/Shanghai on its last day) and
        how many of its warnings concern the city or the town; an unknown town is 404 ``town_not_found``.
        """
        town = query.get("town")
        service.check_town(town)
        return [service.month_summary(row, town) for row in paginate(service.published_months(), pagination_parameters)]


@public_blp.route("/<month>", parameters=[MONTH_PARAMETER])
class PublishedMonthItem(MethodView):
    @public_blp.public()
    @public_blp.arguments(MonthlyTownQuery, location="query")
    @public_blp.response(200, MonthlySchema)
    @public_blp.alt_response(404, response="NOT_FOUND")
    @public_blp.alt_response(422, response="UNPROCESSABLE_ENTITY")
    @public_blp.doc(operationId="get_published_month")
    def get(self, query, month):
        """One published month: figures per town and city-wide, and its warnings (one town's with ``town``)

        The month exactly as it was published: one read of its stored document. A month not published is 404
        ``month_not_published``; an unknown town 404 ``town_not_found``.
        """
        return service.with_messages(service.published_month(month, query.get("town")))
