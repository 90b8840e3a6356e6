"""Fuzz every operation of the app's own OpenAPI document in-process (SPEC §10: never a 500 for bad input).

Schemathesis generates valid and invalid requests from /api/v1/openapi.json and sends them to the WSGI
app. Each response must not be a 5xx, must match the schema documented for its status, and its status
must be one the operation lists; invalid data must be refused ("negative data rejected") and valid data
accepted ("positive data accepted"), except for the refusals REFUSED_BY_RULES lists, each with the rule
beyond what OpenAPI can say. Every operation in the document is fuzzed, so new routes join by
themselves; each call carries credentials of a role the view's access rule allows, so the requests
get past authentication and reach validation and the services.
"""

import re
import warnings
from functools import partial

import hypothesis
import pytest
import schemathesis
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Err
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import (
    negative_data_rejection,
    positive_data_acceptance,
    response_schema_conformance,
    status_code_conformance,
)

from backend.data.extensions import db
from backend.settings.defaults import LIMIT_MAX
from backend.settings.defaults import SETTINGS as SETTINGS_DEFAULTS
from backend.staff.models import StaffMember
from backend.web.access import OPERATOR, RESIDENT, ROLES, STAFF_ROLES, VERIFIER_SYSTEM, routes, rule_of
from tests.conftest import Residents, Staff, Verifiers, bearer, change_settings

OPENAPI = "/api/v1/openapi.json"
MAX_EXAMPLES = 15
SETTINGS = hypothesis.settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # The explain phase replays a failure hundreds of times; the shrunk example is report enough.
    phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate, hypothesis.Phase.shrink],
    # Slow or heavily filtered generation is schemathesis's business here, not a defect of the app.
    suppress_health_check=list(hypothesis.HealthCheck),
)


def status_code_listed(ctx, response, case):
    """The status must be one the operation lists.

    flask-smorest gives every operation a ``default`` error response, which makes schemathesis's own
    ``status_code_conformance`` accept any status; a client, though, codes against the listed ones.
    """
    status = str(response.status_code)
    listed = {code.upper() for code in case.operation.responses.status_codes if code != "default"}
    if status not in listed and f"{status[0]}XX" not in listed:
        raise AssertionError(f"Status {status} is not listed for {case.operation.label}; "
                             f"listed: {', '.join(sorted(listed))}")


ID_NUMBER = "an ID number's check digit, birth date and region code (GB 11643) are beyond a pattern"
USCC = "a USCC's check character (GB 32100) is beyond a pattern"
TOWN = "the town must be one the registry knows"
IMPORT = {422: "a CSV body must start with the header its example shows, which a string schema cannot say",
          415: "a file must be UTF-8 text, which a binary schema cannot say"}
# Schema-valid requests that a rule beyond what OpenAPI can say may still refuse: operation -> status -> the
# rule. schemathesis's "positive data accepted" check holds for every other operation and status.
REFUSED_BY_RULES = {
    "POST /api/v1/me/identity": {422: ID_NUMBER},
    "POST /api/v1/admin/credit-events": {422: ID_NUMBER + "; occurred_at not in the future; a rubric code known"},
    "POST /api/v1/admin/credit-events/lookup": {422: ID_NUMBER},
    "POST /api/v1/admin/residents/search": {422: ID_NUMBER},
    "POST /api/v1/admin/credit-events/import": IMPORT,
    "POST /api/v1/admin/residents/import": IMPORT,
    "POST /api/v1/admin/rubric-items": {422: "fields that depend on each other: severity only for penalties, the "
                                             "sign of points by kind, disclosure days in order"},
    "PATCH /api/v1/admin/rubric-items/{code}": {422: "the same rules as creating an item, on the merged item"},
    "POST /api/v1/admin/staff": {422: "a department needs a source and other roles none; a password of at least "
                                      "10 characters that is not the username"},
    "PATCH /api/v1/admin/staff/{staff_id}": {422: "a password of at least 10 characters that is not the username"},
    "DELETE /api/v1/admin/staff/{staff_id}/permissions/{permission}": {
        422: "the permission must be one of the named permissions; a path segment's schema is the URL rule's"},
    "POST /api/v1/admin/verifiers": {422: USCC + "; " + TOWN},
    "PATCH /api/v1/admin/verifiers/{verifier_id}": {422: TOWN},
    "POST /api/v1/merchant/offers": {422: "valid_to after valid_from; min_stars within the star levels"},
    "PATCH /api/v1/merchant/offers/{offer_id}": {422: "valid_to after valid_from, on the merged offer"},
    "POST /api/v1/verifications": {
        400: "the token must be a credit code this system signed (code_invalid)",
        422: "min_stars belongs to purpose admission and offer_id to one of the caller's offers"},
    "PUT /api/v1/admin/settings": {422: "each setting's own type and bounds, and at least one setting"},
    "PUT /api/v1/admin/star-levels": {422: "thresholds that rise with the stars"},
    "POST /api/v1/uploads": {415: "a file's bytes must be a JPEG, PNG or PDF, whatever its name and declared type"},
    "POST /api/v1/public/credit-reports/check": {
        422: "a verification code is 20 letters and digits once hyphens and spaces are taken out"},
    "POST /api/v1/admin/report-categories": {422: "the rubric item must exist and be a penalty; the department known"},
    "POST /api/v1/admin/government-bodies": {422: "a department needs its source name and a town government its town"},
    "POST /api/v1/admin/government-records": {422: "the owner must be a registered government body"},
    "POST /api/v1/admin/civil-servant-records": {422: ID_NUMBER},
    "POST /api/v1/admin/civil-servant-records/lookup": {422: ID_NUMBER},
    "GET /api/v1/public/enterprises/{uscc}": {422: USCC},
    "GET /api/v1/admin/enterprises/{uscc}": {422: USCC},
    "POST /api/v1/admin/enterprises": {422: USCC},
    "POST /api/v1/admin/enterprises/import": IMPORT,
    "POST /api/v1/admin/disclosures": {422: USCC + "; an enterprise's USCC is required, a natural person's absent; "
                                            "dates within the severity's disclosure window"},
    "POST /api/v1/admin/disclosures/import": IMPORT,
    "POST /api/v1/admin/list-entries": {422: USCC + "; an enterprise's USCC is required, a natural person's absent"},
    "POST /api/v1/admin/list-entries/import": IMPORT,
    "GET /api/v1/admin/stats/monthly": {422: "a month that has begun (month_in_future)"},
    "POST /api/v1/admin/stats/monthly/{month}/publish": {422: "a month that has begun (month_in_future)"},
}


REFUSALS_SEEN: set[tuple[str, int]] = set()


def positive_data_accepted(ctx, response, case):
    """schemathesis's check, but for the refusals REFUSED_BY_RULES lists with their reasons."""
    if response.status_code in REFUSED_BY_RULES.get(case.operation.label, {}):
        REFUSALS_SEEN.add((case.operation.label, response.status_code))
        return None
    return positive_data_acceptance(ctx, response, case)


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, status_code_listed,
          negative_data_rejection, positive_data_accepted]


def openapi_path(rule: str) -> str:
    return re.sub(r"<(?:[^<>:]+:)?([^<>]+)>", r"{\1}", rule)


class Credentials:
    """Headers for each operation that prove a role its access rule allows, so calls get past
    authentication and reach validation and the services.

    Credentials of a role are reused until a call is refused with 401, 403 or 429: an earlier call may
    have spoiled them (logout, a password reset, a disabled account, unbinding, a suspended verifier,
    a revoked API key, a per-account limit spent), and the next call gets new ones.
    """

    def __init__(self, app):
        self.staff = Staff(app)
        self.residents = Residents(app)
        self.verifiers = Verifiers(app, self.residents)
        self.rules = {(method, openapi_path(rule.rule)): rule_of(view) for method, rule, view in routes(app)}
        self.held: dict[tuple[str, str | None], dict] = {}
        self.staff_accounts: dict[tuple[str, str | None], int] = {}
        self.last: tuple[str, str | None] | None = None
        self.without_credentials: set[str] = set()
        # role -> builder(permission) of new credentials. A role nobody can act as yet has no builder:
        # its operations are fuzzed without credentials and named in a warning.
        self.builders = {
            RESIDENT: lambda _permission: self.residents.bound_headers(self.residents.create()),
            OPERATOR: lambda _permission: self.verifiers.operator_headers(self.verifiers.create("merchant")),
            VERIFIER_SYSTEM: lambda _permission: self.verifiers.api_key_headers(self.verifiers.create("bank")),
        }
        for role in STAFF_ROLES:
            self.builders[role] = partial(self._staff_headers, role)

    def headers(self, operation) -> dict:
        self.last = None
        key = (operation.method.upper(), operation.path)
        assert key in self.rules, f"{operation.label} is documented but no route answers it"
        rule = self.rules[key]
        assert rule is not None, f"{operation.label} has no access rule"
        if rule.public:
            return {}
        buildable = [role for role in ROLES if role in rule.roles and role in self.builders]
        if not buildable:
            self.without_credentials.add(operation.label)
            return {}
        self.last = (buildable[0], rule.permission)
        if self.last not in self.held:
            self.held[self.last] = self.builders[buildable[0]](rule.permission)
        return self.held[self.last]

    def answered(self, status: int) -> None:
        if status in (401, 403, 429) and self.last is not None:
            self.held.pop(self.last, None)

    def _staff_headers(self, role: str, permission: str | None) -> dict:
        # A new sign-in of the same account when it can still act; a new account (a slow password
        # hash) only when the fuzzer disabled it or took the permission away.
        account_id = self.staff_accounts.get((role, permission))
        account = db.session.get(StaffMember, account_id) if account_id is not None else None
        if account is None or not account.active or (permission and permission not in account.permission_names):
            account = self.staff.create(role, permissions=[permission] if permission else ())
            self.staff_accounts[role, permission] = account.id
        return bearer(self.staff.token(account))


@pytest.fixture
def unlimited(app):
    """Every rate limit (a setting, read per request) out of reach, for this test only."""
    change_settings({key: LIMIT_MAX for key in SETTINGS_DEFAULTS if key.startswith("limits.")})


@pytest.fixture
def credentials(app, unlimited):
    keeper = Credentials(app)
    yield keeper
    if keeper.without_credentials:
        warnings.warn("fuzzed without credentials, as no allowed role can be acted as yet: "
                      + ", ".join(sorted(keeper.without_credentials)), stacklevel=1)


def fuzz(operation, mode: GenerationMode, credentials: Credentials) -> None:
    @hypothesis.given(case=operation.as_strategy(mode))
    @SETTINGS
    def run(case):
        try:
            response = case.call(headers=credentials.headers(case.operation))
            credentials.answered(response.status_code)
        finally:
            # In production every request ends its app context and with it the session; here one app
            # context spans the test, and a request that failed mid-transaction must not spoil the next.
            db.session.remove()
        case.validate_response(response, checks=CHECKS)

    run()


def test_every_operation_survives_fuzzing(app, credentials):
    config = schemathesis.Config.from_dict({
        # Credentials come from the access rules, not from generated Authorization headers.
        "generation": {"with-security-parameters": False},
    })
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app, config=config)
    failures, fuzzed = [], []
    for result in schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"invalid operation: {result.err()}")
            continue
        operation = result.ok()
        fuzzed.append(operation.label)
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                fuzz(operation, mode, credentials)
            except (Exception, FailureGroup) as exc:
                if mode is GenerationMode.NEGATIVE and isinstance(exc, hypothesis.errors.Unsatisfiable):
                    # No invalid request exists for an operation without a body or a parameter that
                    # can be wrong (a bare string in the path).
                    continue
                # Keep going, so one run reports every operation that fails.
                failures.append(f"{operation.label} ({mode.value} data):\n{exc}")
    assert fuzzed, "the OpenAPI document lists no operations"
    assert not failures, "\n\n".join(failures)
    unseen = [f"{label} {status}" for label, statuses in REFUSED_BY_RULES.items() for status in statuses
              if (label, status) not in REFUSALS_SEEN]
    # The list stays as short as the rules make it: a listed refusal the fuzzing no longer meets goes.
    assert not unseen, "listed in REFUSED_BY_RULES but never met: " + ", ".join(unseen)

