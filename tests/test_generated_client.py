"""A client generated from the app's own OpenAPI document drives the main flows (SPEC §10: the document is
a contract that banks' systems and the mini-program's tools generate clients from).

openapi-python-client generates the client; any warning it prints fails the test unless it is listed in
ACCEPTED_WARNINGS with its reason (none is, today). The typed client then talks to the WSGI app through
httpx's WSGI transport: the same requests a server would get, without a port.
"""

import importlib
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from backend.credit.default_rubric import load_default_rubric

CONFIG = Path(__file__).with_name("openapi_client.yaml")
# Lines of the generator's output that are accepted, each with the reason (substring -> why).
ACCEPTED_WARNINGS: dict[str, str] = {}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def generated(app, tmp_path_factory):
    """The client package generated from /api/v1/openapi.json, imported."""
    folder = tmp_path_factory.mktemp("client")
    document = folder / "openapi.json"
    document.write_bytes(app.test_client().get("/api/v1/openapi.json").data)
    name = f"chengxin_client_{uuid.uuid4().hex[:8]}"
    # The generator formats its output with ruff, which sits beside this interpreter.
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"}
    finished = subprocess.run(  # noqa: S603 - our own tool, arguments we wrote
        [str(Path(sys.executable).parent / "openapi-python-client"), "generate", "--path", str(document),
         "--output-path", str(folder / name), "--meta", "none", "--config", str(CONFIG)],
        capture_output=True, text=True, env=environment, timeout=300, check=False)
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    warnings = [line for line in output.splitlines()
                if any(word in line for word in ("WARNING", "Unsupported", "Cannot", "Error", "not in PATH"))
                and not any(accepted in line for accepted in ACCEPTED_WARNINGS)]
    assert not warnings, "the generator warned:\n" + output
    sys.path.insert(0, str(folder))
    try:
        yield importlib.import_module(name)
    finally:
        sys.path.remove(str(folder))


class Api:
    """The generated package's modules by name, and clients onto the app."""

    def __init__(self, package, app):
        self.package = package
        self.app = app

    def __getattr__(self, module: str):
        for group in ("api", "models"):
            try:
                return importlib.import_module(f"{self.package.__name__}.{group}.{module}")
            except ModuleNotFoundError:
                continue
        raise AttributeError(module)

    def models(self):
        return importlib.import_module(f"{self.package.__name__}.models")

    def client(self, token: str | None = None, *, api_key: str | None = None):
        transport = {"transport": httpx.WSGITransport(app=self.app)}
        if api_key:
            return self.package.AuthenticatedClient(base_url="http://testserver", token=api_key, prefix="",
                                                    auth_header_name="X-API-Key", httpx_args=transport)
        if token:
            return self.package.AuthenticatedClient(base_url="http://testserver", token=token,
                                                    httpx_args=transport)
        return self.package.Client(base_url="http://testserver", httpx_args=transport)


@pytest.fixture
def api(generated, app):
    return Api(generated, app)


def uscc(serial: int) -> str:
    from stdnum.cn import uscc as codes

    body = f"91320281MA{serial:07d}"
    return body + codes.calc_check_digit(body)


def operation(api, group: str, name: str):
    return importlib.import_module(f"{api.package.__name__}.api.{group}.{name}")


def test_the_main_flows_through_the_generated_client(api, staff, residents):
    m = api.models()
    public = api.client()
    load_default_rubric()

    # Staff sign-in.
    admin_account = staff.create("admin")
    pair = operation(api, "auth", "staff_login").sync(
        client=public, body=m.StaffLogin(username=admin_account.username, password=staff.PASSWORD))
    assert isinstance(pair, m.TokenPair), pair
    assert pair.token_type == m.TokenPairTokenType.BEARER
    admin = api.client(pair.access_token)

    # A resident signs in through the development exchanger and binds their identity.
    person = residents.create(name="李明", phone="13900139000")
    signed_in = operation(api, "accounts", "wechat_login").sync(client=public, body=m.WeChatLogin(code="dev-liming"))
    assert isinstance(signed_in, m.TokenPair), signed_in
    resident = api.client(signed_in.access_token)
    me = operation(api, "accounts", "get_me").sync(client=resident)
    assert me.bound is False and me.resident is None
    bound = operation(api, "accounts", "bind_identity").sync(client=resident, body=m.Bind(
        name="李明", id_number=person.plain["id_number"], phone_code="dev-phone-13900139000"))
    assert not isinstance(bound, m.Error), bound
    me = operation(api, "accounts", "get_me").sync(client=resident)
    assert me.bound is True and isinstance(me.resident, m.MaskedResident)
    assert me.resident.masked_name == "李*"

    # Credit, with what the next level needs as a typed object.
    credit = operation(api, "credit_me", "get_my_credit").sync(client=resident)
    assert isinstance(credit, m.Credit), credit
    assert credit.points == 1000 and credit.stars == 3
    assert isinstance(credit.next_level, m.NextLevel)

    # The code as JSON and as a PNG.
    code = operation(api, "credit_code", "create_credit_code").sync(client=resident, body=m.CodeRequest())
    assert isinstance(code, m.Code), code
    png = operation(api, "credit_code", "get_credit_code_png").sync_detailed(client=resident)
    assert png.status_code == 200
    assert png.parsed.payload.read().startswith(PNG_SIGNATURE)
    assert png.headers["Content-Type"] == "image/png"

    # A merchant registered by the admin, its operator joining by invite, an offer, and a verification.
    merchant = operation(api, "verifiers_admin", "create_verifier").sync(client=admin, body=m.VerifierCreate(
        name="澄江书店", kind=m.VerifierCreateKind.MERCHANT, uscc=uscc(1), town="长泾镇", address="人民路 1 号"))
    assert isinstance(merchant, m.Verifier), merchant
    invite = operation(api, "verifiers_admin", "create_verifier_invite").sync(client=admin, verifier_id=merchant.id)
    assert isinstance(invite, m.Invite), invite
    cashier_pair = operation(api, "accounts", "wechat_login").sync(client=public,
                                                                   body=m.WeChatLogin(code="dev-cashier"))
    cashier = api.client(cashier_pair.access_token)
    redeemed = operation(api, "verifier_invites", "redeem_verifier_invite").sync(
        client=cashier, body=m.Redeem(invite_code=invite.invite_code))
    assert isinstance(redeemed, m.RedeemResult), redeemed
    assert "operator" in redeemed.roles
    # Refreshed tokens list the new role.
    cashier = api.client(operation(api, "auth", "refresh_tokens").sync(
        client=public, body=m.Refresh(refresh_token=cashier_pair.refresh_token)).access_token)
    now = datetime.now(UTC)
    offer = operation(api, "merchant_offers", "create_offer").sync(client=cashier, body=m.OfferCreate(
        title="图书八折", description="3★ 及以上八折", min_stars=3, valid_from=now - timedelta(days=1),
        valid_to=now + timedelta(days=30)))
    assert isinstance(offer, m.Offer), offer
    result = operation(api, "verifications", "verify_credit_code").sync(client=cashier, body=m.VerificationRequest(
        token=code.token, purpose=m.VerificationRequestPurpose.DISCOUNT, offer_id=offer.id))
    assert isinstance(result, m.VerificationResult), result
    assert result.stars == 3 and result.resident.masked_name == "李*"
    assert isinstance(result.redeemed_offer, m.Offer) and result.redeemed_offer.id == offer.id
    replay = operation(api, "verifications", "verify_credit_code").sync(client=cashier, body=m.VerificationRequest(
        token=code.token, purpose=m.VerificationRequestPurpose.DISCOUNT))
    assert isinstance(replay, m.Error) and replay.reason == "code_used"

    # A bank's system with its API key, verifying a fresh code in detail.
    bank = operation(api, "verifiers_admin", "create_verifier").sync(client=admin, body=m.VerifierCreate(
        name="江阴农商银行", kind=m.VerifierCreateKind.BANK, uscc=uscc(2), town="长泾镇", address="澄江中路 1 号"))
    key = operation(api, "verifiers_admin", "create_verifier_api_key").sync(
        client=admin, verifier_id=bank.id, body=m.ApiKeyCreate(label="loans"))
    assert isinstance(key, m.NewApiKey), key
    detailed = operation(api, "credit_code", "create_credit_code").sync(
        client=resident, body=m.CodeRequest(scope=m.CodeRequestScope.DETAILED))
    checked = operation(api, "verifications", "verify_credit_code").sync(
        client=api.client(api_key=key.api_key),
        body=m.VerificationRequest(token=detailed.token, purpose=m.VerificationRequestPurpose.LOAN))
    assert isinstance(checked, m.VerificationResult), checked
    assert checked.points == 1000 and checked.active_penalties == []

    # What anyone can read: the rubric (bonus items have no severity) and the offers with their verifier.
    rubric = operation(api, "credit_public", "get_public_rubric").sync(client=public)
    assert rubric and all(isinstance(group, m.RubricGroup) for group in rubric)
    severities = {item.severity for group in rubric for item in group.items}
    assert None in severities and len(severities) > 1
    offers = operation(api, "public_offers", "list_public_offers").sync(client=public)
    assert [(o.title, o.verifier.name, o.verifier.town) for o in offers] == [("图书八折", "澄江书店", "长泾镇")]
