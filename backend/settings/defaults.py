"""Every setting of the product with its type, bounds and the default SPEC marks *(default)*.

This is the one place those defaults live; code reads them with ``settings.get(key)``.
"""

from dataclasses import dataclass

import marshmallow as ma
from marshmallow import validate

from backend.i18n import _

# The longest a credit code can be made to live; rotated signing keys stay published this long.
CREDIT_CODE_MAX_TTL_SECONDS = 600


@dataclass(frozen=True)
class Setting:
    key: str
    type: str
    default: object
    description: str
    field: ma.fields.Field


def _int(low, high):
    return ma.fields.Integer(required=True, strict=True, validate=validate.Range(low, high))


def _fraction():
    return ma.fields.Float(required=True, validate=validate.Range(0, 1))


class _Override(ma.Schema):
    date = ma.fields.Date(required=True)
    working = ma.fields.Boolean(required=True)
    name = ma.fields.String(validate=validate.Length(max=50))


def _setting(key, type_, default, description, field):
    return Setting(key, type_, default, description, field)


# The highest any limit can be set: out of reach of any real caller, yet a number every store counts to.
LIMIT_MAX = 1_000_000


def _limit(key, default, description):
    return Setting(key, "integer", default, description, _int(1, LIMIT_MAX))


SETTINGS: dict[str, Setting] = {s.key: s for s in [
    _setting("credit.base_points", "integer", 1000, "points every account starts from", _int(0, 100000)),
    _setting("auth.refresh_grace_seconds", "integer", 30,
             "a spent refresh token repeated within this many seconds gets the same new pair", _int(0, 300)),
    _setting("credit_code.ttl_seconds", "integer", 60, "lifetime of a credit QR code",
             _int(15, CREDIT_CODE_MAX_TTL_SECONDS)),
    _setting("claims.show_minutes", "integer", 10,
             "minutes a resident's claim screen shows the claim to the cashier (扫码享优惠)", _int(1, 60)),
    _setting("verifiers.invite_ttl_days", "integer", 7, "lifetime of an operator invite", _int(1, 90)),
    _setting("uploads.max_bytes", "integer", 10 * 1024 * 1024, "largest accepted upload",
             _int(1024, 100 * 1024 * 1024)),
    _setting("reports.duplicate_window_days", "integer", 30,
             "a report on the same subject and category within this many days joins its duplicate group",
             _int(1, 365)),
    _setting("reports.acknowledge_working_days", "integer", 5, "working days to acknowledge a report",
             _int(1, 60)),
    _setting("reports.decide_days", "integer", 30, "calendar days from filing to decide a report",
             _int(1, 365)),
    _setting("reports.extended_decide_days", "integer", 90,
             "calendar days from filing to decide an extended report", _int(1, 365)),
    _setting("reports.finding_working_days", "integer", 10,
             "working days for a department to return its finding on a forwarded report", _int(1, 60)),
    _setting("rewards.min_amount", "integer", 50, "smallest report reward in yuan", _int(0, 1000000)),
    _setting("rewards.max_amount", "integer", 10000, "largest report reward in yuan", _int(0, 1000000)),
    _setting("repairs.decide_working_days", "integer", 10, "working days to decide a repair application",
             _int(1, 60)),
    _setting("objections.decide_days", "integer", 20, "calendar days to decide an objection", _int(1, 365)),
    _setting("ratings.household_min_stars", "integer", 3,
             "every member of a credit household has at least these stars", _int(1, 5)),
    _setting("ratings.household_top_stars", "integer", 4,
             "and at least one member of a credit household has these stars", _int(1, 5)),
    _setting("ratings.village_share", "fraction", 0.8, "share of credit households in a credit village",
             _fraction()),
    _setting("ratings.town_share", "fraction", 0.6, "share of credit villages in a credit town", _fraction()),
    _setting("monitoring.penalty_rise_share", "fraction", 0.2,
             "warn of a town whose penalties rose by more than this share over the previous month", _fraction()),
    _setting("monitoring.penalty_rise_from_zero", "integer", 5,
             "after a month without penalties, warn of a town with this many or more", _int(1, 1000000)),
    _setting("monitoring.overdue_reviews_at", "integer", 1,
             "warn of a town with this many overdue reviews (of one kind) or more at the month's end",
             _int(1, 1000000)),
    _setting("monitoring.overdue_commitments_at", "integer", 1,
             "warn of a town with this many overdue government commitments or more at the month's end",
             _int(1, 1000000)),
    _setting("credit_reports.validity_days", "integer", 30, "days a credit report stays valid after issue",
             _int(1, 365)),
    _setting("credit_reports.issuer", "text", "江阴市信用办", "the issuing office named on credit reports",
             ma.fields.String(required=True, validate=validate.Length(2, 50))),
    _setting("calendar.overrides", "list", [],
             "working-day overrides for years the holiday calendar lacks: [{date, working, name?}]",
             ma.fields.List(ma.fields.Nested(_Override), required=True)),
    # Rate limits (SPEC §10): how many attempts each subject has in a window; the key names the window.
    _limit("limits.public_per_minute", 120, _("requests a minute to public endpoints, per IP address")),
    _limit("limits.staff_login_failures_per_15_minutes", 5,
           _("failed staff sign-ins in 15 minutes, per username")),
    _limit("limits.wechat_sign_in_per_minute", 10, _("WeChat sign-ins a minute, per account")),
    _limit("limits.binding_per_day", 5, _("identity binding attempts a day, per account")),
    _limit("limits.wrong_api_keys_per_minute", 20, _("requests with a wrong API key a minute, per IP address")),
    _limit("limits.api_key_per_minute", 600, _("requests a minute, per API key")),
    _limit("limits.credit_code_png_per_minute", 30, _("credit-code PNG images a minute, per account")),
    _limit("limits.invite_redemptions_per_hour", 5, _("operator invite redemptions an hour, per account")),
    _limit("limits.reports_per_day", 5, _("reports a day, per account")),
    _limit("limits.uploads_per_day", 50, _("uploads a day, per account")),
    _limit("limits.claims_per_day", 10, _("offer claims a day, per account")),
    _limit("limits.credit_reports_per_day", 5, _("credit reports a day, per account")),
    _limit("limits.receipt_lookups_per_hour", 20,
           _("anonymous-report receipt look-ups and answers an hour, per IP address")),
]}
