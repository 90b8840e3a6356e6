import marshmallow as ma

from backend.web.schemas import LocalDateTime


class QueryRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = LocalDateTime(required=True)
    actor_role = ma.fields.String(required=True, metadata={"description": "who read: admin, reviewer, "
                                                                          "department, operator, bank"})
    actor_label = ma.fields.String(required=True, metadata={"description": "the reader's name as shown"})
    purpose = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
