"""Chengxin (澄信): the backend of Jiangyin's personal credit-points system."""

import logging
from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from backend.config import build_config, project_root
from backend.web.openapi import SECURITY_SCHEMES

API_TITLE = "Chengxin credit-points API"
API_VERSION = "1.0"


def create_app(test_config: dict | None = None) -> Flask:
    """Build the app from the environment; ``test_config`` overrides any value (tests and scripts)."""
    instance_path = Path((test_config or {}).get("INSTANCE_PATH") or project_root() / "instance")
    app = Flask(__name__, instance_path=str(instance_path), instance_relative_config=True, static_folder=None)
    app.config.update(build_config(overrides=test_config, instance_path=instance_path))
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/api/v1/docs/assets/",
        API_SPEC_OPTIONS={"components": {"securitySchemes": SECURITY_SCHEMES}},
        SQLALCHEMY_ENGINE_OPTIONS=_engine_options(app.config["SQLALCHEMY_DATABASE_URI"]),
        **_ratelimit_storage(app.config),
        JSON_SORT_KEYS=False,
    )
    logging.basicConfig(level=app.config["LOG_LEVEL"])
    # Alembic announces its plugins on every command; migrations report through `flask db` itself.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    if app.config["TRUSTED_PROXIES"]:
        # Only the addresses the trusted proxies appended are believed; without them the socket's is.
        proxies = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)

    _init_extensions(app)
    _register_domains(app)

    _register_cli(app)
    return app


def _engine_options(url: str) -> dict:
    if url.startswith("sqlite"):
        return {"connect_args": {"timeout": 30}}
    return {"pool_pre_ping": True, "pool_size": 10, "max_overflow": 10}


def _ratelimit_storage(config) -> dict:
    from backend.web.ratelimits import storage_options

    return storage_options(config)


def _init_extensions(app: Flask) -> None:
    from flask_limiter import Limiter

    from backend import i18n
    from backend.data import cache
    from backend.data.extensions import db, migrate
    from backend.web.api import Api
    from backend.web.ratelimits import client_ip

    i18n.init_app(app)
    db.init_app(app)
    migrate.init_app(app, db, directory=str(project_root() / "migrations"), render_as_batch=True,
                     compare_type=True)
    app.extensions["chengxin.limiter"] = Limiter(key_func=client_ip, app=app)
    cache.init_app(app)
    app.extensions["chengxin.api"] = Api(app)
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        _sqlite_pragmas(app)


def _sqlite_pragmas(app: Flask) -> None:
    from sqlalchemy import event

    from backend.data.extensions import db

    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _on_connect(connection, _record):
            cursor = connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.close()
            # Let SQLAlchemy, not the sqlite3 module, begin transactions: otherwise a SAVEPOINT opened
            # before any write starts its own transaction, and releasing it commits everything.
            connection.isolation_level = None

        @event.listens_for(db.engine, "begin")
        def _on_begin(connection):
            connection.exec_driver_sql("BEGIN")


def _register_domains(app: Flask) -> None:
    from backend.accounts import service as accounts_service
    from backend.accounts.routes import blp as accounts_blp
    from backend.audit.routes import blp as audit_blp
    from backend.auth import service as auth_service
    from backend.auth.routes import blp as auth_blp
    from backend.claims import routes as claim_routes
    from backend.codes import keys
    from backend.codes import routes as code_routes
    from backend.console.routes import blp as console_blp
    from backend.credit import routes as credit_routes
    from backend.credit_reports import routes as credit_report_routes
    from backend.credit_reports import service as credit_report_service
    from backend.health.routes import blp as health_blp
    from backend.integrity import routes as integrity_routes
    from backend.monitoring import routes as monitoring_routes
    from backend.notices import models as _notice_models  # noqa: F401 - its table belongs to the schema
    from backend.public_credit import routes as public_credit_routes
    from backend.query_records.routes import blp as query_records_blp
    from backend.ratings import routes as rating_routes
    from backend.reports import routes as report_routes
    from backend.residents.routes import blp as residents_blp
    from backend.settings import service as settings_service
    from backend.settings.routes import blp as settings_blp
    from backend.staff import service as staff_service
    from backend.staff.routes import blp as staff_blp
    from backend.staff.routes import me_blp as staff_me_blp
    from backend.uploads.routes import blp as uploads_blp
    from backend.verifiers import routes as verifier_routes
    from backend.web import ratelimits
    from backend.web.access import API_KEY, register_principal_loader, register_token_checker
    from backend.web.docs import blp as docs_blp
    from backend.web.docs import guard_documentation_views

    register_token_checker(auth_service.verify_access_token)
    ratelimits.read_allowances_with(settings_service.get)
    register_principal_loader("staff", staff_service.principal_from_claims)
    auth_service.register_role_provider("staff", staff_service.roles_of)
    register_principal_loader("wechat", accounts_service.principal_from_claims)
    auth_service.register_role_provider("wechat", accounts_service.roles_of)
    register_principal_loader(API_KEY, verifier_routes.api_key_principal)

    api = app.extensions["chengxin.api"]
    for blueprint in (health_blp, auth_blp, accounts_blp, verifier_routes.redeem_blp, query_records_blp,
                      credit_routes.me_blp, credit_routes.public_blp, verifier_routes.public_blp,
                      verifier_routes.merchant_blp, staff_blp, staff_me_blp, residents_blp, credit_routes.admin_blp,
                      verifier_routes.admin_blp, settings_blp, audit_blp, code_routes.me_blp,
                      code_routes.verify_blp, code_routes.jwks_blp, rating_routes.public_blp, uploads_blp,
                      credit_report_routes.me_blp, credit_report_routes.admin_blp, credit_report_routes.public_blp,
                      report_routes.filing_blp, report_routes.me_blp, report_routes.public_blp,
                      report_routes.admin_blp, report_routes.review_blp, report_routes.department_blp,
                      integrity_routes.public_blp, integrity_routes.bodies_blp, integrity_routes.commitments_blp,
                      integrity_routes.records_blp, integrity_routes.civil_servants_blp,
                      public_credit_routes.public_blp, public_credit_routes.admin_blp,
                      monitoring_routes.admin_blp, monitoring_routes.public_blp,
                      claim_routes.merchant_blp, claim_routes.me_blp):
        api.register_blueprint(blueprint)
    app.register_blueprint(docs_blp)
    app.register_blueprint(credit_report_routes.page_blp)
    # A key that signed a credit report stays published until the report has expired (SPEC §4).
    keys.keep_published_while(credit_report_service.signed_a_valid_report)
    app.register_blueprint(console_blp)
    guard_documentation_views(app)


def _register_cli(app: Flask) -> None:
    from backend.cli import (
        access_cli,
        credit_cli,
        demo_cli,
        keys_cli,
        notices_cli,
        reports_cli,
        stats_cli,
        uploads_cli,
        users_cli,
    )

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(access_cli)
    app.cli.add_command(credit_cli)
    app.cli.add_command(keys_cli)
    app.cli.add_command(notices_cli)
    app.cli.add_command(uploads_cli)
    app.cli.add_command(reports_cli)
    app.cli.add_command(stats_cli)
