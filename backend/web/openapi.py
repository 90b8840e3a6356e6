"""The OpenAPI document as a contract: what generated clients (banks' systems, the mini-program's tools)
read from it must be what the API does.

OpenAPI 3.0.3 stays: the docs page's Swagger UI (served offline from swagger-ui-bundle) renders no 3.1.
Within 3.0.3, apispec's defaults are adjusted in one place here:

- a nullable nested object is ``allOf: [{$ref}]`` with ``nullable: true``, rather than apispec's
  ``anyOf: [{type: object, nullable: true}, {$ref}]``, whose untyped branch generators pick;
- a nullable enum lists ``null`` among its values, or a strict client refuses the ``null`` it is sent,
  and leaves ``type`` out (the values say it all): with both ``type`` and ``nullable``, generators make
  three enum classes of one field;
- text fields state what every schema refuses: a NUL character (no text of ours holds one, and
  PostgreSQL refuses to even compare one), and for ``Text`` (what people type) blank text;
- the security schemes: a bearer access token, and the ``X-API-Key`` of a bank's system.
"""

import marshmallow as ma

SECURITY_SCHEMES = {
    "bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
               "description": "An access token from a sign-in: `Authorization: Bearer <token>`."},
    "api_key": {"type": "apiKey", "in": "header", "name": "X-API-Key",
                "description": "A bank system's API key, shown once when an admin creates it."},
}

# The X-Pagination header of every list: what flask-smorest sends, a JSON object in the header's text.
PAGINATION_HEADER = {
    "description": "Pagination metadata as a JSON object in the header's text: total, total_pages, "
                   "first_page, last_page, page, previous_page (when there is one), next_page (when there is "
                   "one). Example: `{\"total\": 42, \"total_pages\": 5, \"first_page\": 1, \"last_page\": 5, "
                   "\"page\": 1, \"next_page\": 2}`.",
    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/PaginationMetadata"}}},
}


def nullable_references(self, field, ret, **kwargs) -> dict:
    """A nullable nested schema as ``allOf`` of its reference, marked nullable (OpenAPI 3.0)."""
    branches = ret.get("anyOf")
    if field.allow_none and isinstance(branches, list) and len(branches) == 2:
        references = [branch for branch in branches if "$ref" in branch]
        if len(references) == 1 and {"type": "object", "nullable": True} in branches:
            del ret["anyOf"]
            return {"allOf": references, "nullable": True}
    return {}


def nullable_enums(self, field, ret, **kwargs) -> dict:
    """``null`` among the values of a nullable enum, and no ``type`` beside them."""
    values = ret.get("enum")
    if not (field.allow_none and isinstance(values, list)):
        return {}
    ret.pop("type", None)
    return {"enum": values if None in values else [*values, None]}


NO_NUL = "^[^\\u0000]*$"
NOT_BLANK = "^[^\\u0000]*[^\\s\\u0000][^\\u0000]*$"


def text_patterns(self, field, ret, **kwargs) -> dict:
    """The pattern of a text field without one of its own: no NUL, and not blank for ``Text``."""
    from backend.web.schemas import Text

    if not isinstance(field, ma.fields.String) or "pattern" in ret or "enum" in ret or "format" in ret:
        return {}
    return {"pattern": NOT_BLANK if isinstance(field, Text) else NO_NUL}


def init_api(api) -> None:
    """Add the adjustments to ``api``'s marshmallow converter (after apispec's own, which they amend)."""
    converter = api.ma_plugin.converter
    converter.add_attribute_function(nullable_references)
    converter.add_attribute_function(nullable_enums)
    converter.add_attribute_function(text_patterns)
