"""Public ratings of villages and towns (信用村、信用镇): counts, never persons."""

from flask.views import MethodView

from backend.ratings import service
from backend.ratings.schemas import TownRatingSchema, VillageQuery, VillageRatingSchema
from backend.web.api import Blueprint

public_blp = Blueprint("ratings_public", __name__, url_prefix="/api/v1/public",
                       description="Credit villages and towns")


@public_blp.route("/villages")
class Villages(MethodView):
    @public_blp.public(replica=True)
    @public_blp.arguments(VillageQuery, location="query")
    @public_blp.response(200, VillageRatingSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="list_villages")
    def get(self, query, pagination_parameters):
        """Villages and their ratings

        Villages and communities with their households, credit households and rating, by town and name, as counts.
        """
        rows, pagination_parameters.item_count = service.villages(
            town=query.get("town"), page=pagination_parameters.page, page_size=pagination_parameters.page_size)
        return rows


@public_blp.route("/towns")
class Towns(MethodView):
    @public_blp.public(replica=True)
    @public_blp.response(200, TownRatingSchema(many=True))
    @public_blp.paginate()
    @public_blp.doc(operationId="list_towns")
    def get(self, pagination_parameters):
        """Towns and their ratings

        Towns and streets with their villages, credit villages, households and rating, as counts.
        """
        rows, pagination_parameters.item_count = service.towns(page=pagination_parameters.page,
                                                                page_size=pagination_parameters.page_size)
        return rows
