"""Entry point for gunicorn and `flask`: ``gunicorn wsgi:app``."""

from backend import create_app

app = create_app()
