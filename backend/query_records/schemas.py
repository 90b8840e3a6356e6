import marshmallow as ma

from backend.web.schemas import LocalDateTime


class QueryRecordSchema(ma.Schema):
    id = ma.fields.Integer(required=True)
    at = LocalDateTime(required=True)
    actor_role = ma.fields.String(required=True, metadata={
        "description": "who read: admin, reviewer, department, operator (a shop's or bank's cashier) or "
                       "verifier_system (a bank's server)"})
    actor_label = ma.fields.String(required=True, metadata={
        "description": "the reader as shown: the credit office, the department's source name, or the "
                       "verifier's name; never a staff member's personal name"})
    purpose = ma.fields.String(required=True)
    scope = ma.fields.String(required=True)
