"""The HTTP frame every domain shares: the API object and blueprints, access rules, errors with reasons,
shared schema fields, rate limits and the documentation pages."""
