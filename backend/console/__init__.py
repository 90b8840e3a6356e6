"""The staff console (信用办工作台, SPEC §11): the pages reviewers, admins and departments work in.

It is a set of checked-in static files (HTML, CSS and small ES modules, no build step) that call the same
JSON API as every other client with the staff member's own tokens. The app only serves the files; they
carry no data.
"""
