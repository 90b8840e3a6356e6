"""Credit codes (信用码) and their verification (SPEC §4): a resident's short-lived EdDSA code that carries
nothing identifying, the JWKS for offline checks, key rotation, single-use online verification by
operators and bank systems with live stars, offers with monthly quotas, admission checks, and the query
record every verification leaves."""

import base64
import hashlib
import hmac
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import jwt
import png
import pytest
import qrcode
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select, update

from backend.codes import keys
from backend.codes import service as codes
from backend.codes.models import SigningKey, Verification
from backend.credit import rubric
from backend.credit import service as credit
from backend.credit.models import RubricItem
from backend.data.extensions import db
from backend.dates.timeutil import SHANGHAI, utcnow
from backend.privacy.sealing import open_sealed
from backend.query_records.models import QueryRecord
from backend.settings.defaults import CREDIT_CODE_MAX_TTL_SECONDS
from backend.verifiers import service as verifiers_service

CODE = "/api/v1/me/credit-code"
PNG = "/api/v1/me/credit-code.png"
JWKS = "/api/v1/.well-known/jwks.json"
VERIFY = "/api/v1/verifications"
HISTORY = "/api/v1/merchant/verifications"
RECORDS = "/api/v1/me/query-records"
SETTINGS = "/api/v1/admin/settings"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


# -- helpers ---------------------------------------------------------------------------------------------



def b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def segment(value: dict) -> str:
    return b64(json.dumps(value, separators=(",", ":")).encode())


def claims_of(token: str) -> dict:
    return jwt.decode(token, options={"verify_signature": False})


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def local_time(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    assert moment.utcoffset() == timedelta(hours=8)
    return moment


def issue(client, headers, scope="basic") -> dict:
    response = client.post(CODE, json={"scope": scope}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def token_of(client, headers, scope="basic") -> str:
    return issue(client, headers, scope)["token"]


def verify(client, headers, token, purpose="discount", **extra):
    return client.post(VERIFY, json={"token": token, "purpose": purpose, **extra}, headers=headers)


def verified(client, headers, token, purpose="discount", **extra) -> dict:
    response = verify(client, headers, token, purpose, **extra)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def refused(response, status: int, reason: str) -> None:
    assert response.status_code == status, response.get_json()
    assert response.get_json()["reason"] == reason, response.get_json()


def count(model) -> int:
    db.session.rollback()  # what a refused request left in the shared session is not committed
    return db.session.scalar(select(func.count()).select_from(model))


def rubric_item(code: str, points: int):
    kind = "bonus" if points > 0 else "penalty"
    return rubric.create_item(None, code=code, category="social_contribution", title=f"条目 {code}",
                              points=points, kind=kind, severity="general" if kind == "penalty" else None)


def grant(resident, code: str, points: int, ref: str):
    """Record a credit event for ``resident`` (the rubric item is made on first use)."""
    if db.session.scalar(select(RubricItem.id).where(RubricItem.code == code)) is None:
        rubric_item(code, points)
    return credit.grant_event(None, id_number=resident.plain["id_number"], rubric_code=code,
                              occurred_at=utcnow() - timedelta(hours=1), source="tests", source_ref=ref).event


def offer(verifier, *, min_stars=3, starts=-1, ends=30, quota=None, title=None, valid_from=None):
    now = utcnow()
    return verifiers_service.create_offer(
        None, verifier.id, title=title or f"优惠 {min_stars}★", description="凭信用码享受", min_stars=min_stars,
        valid_from=valid_from or now + timedelta(days=starts), valid_to=now + timedelta(days=ends),
        quota_per_resident=quota)


def move_away(residents, resident) -> None:
    """The registry re-import marks the resident as moved (迁出)."""
    plain = resident.plain
    residents.create(name=plain["name"], id_number=plain["id_number"], phone=plain["phone"], town=plain["town"],
                     village=plain["village"], household_no=plain["household_no"], status="moved")


def signed(claims: dict, *, kid: str, key=None, alg="EdDSA") -> str:
    """A code signed with ``key`` (by default the active signing key, as the server would)."""
    if key is None:
        _kid, key = keys.active_signer()
    return jwt.encode(claims, key, algorithm=alg, headers={"kid": kid, "typ": keys.CODE_TYP})


def good_claims(resident, **changes) -> dict:
    now = int(utcnow().timestamp())
    claims = {"iss": codes.ISSUER, "sub": codes.seal_subject(resident.id), "scope": "basic", "stars": 3,
              "iat": now, "exp": now + 60, "jti": f"forged-{now}"}
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def hmac_signed(header: dict, claims: dict, secret: bytes) -> str:
    signing_input = f"{segment(header)}.{segment(claims)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{b64(signature)}"


def dark_modules(token: str) -> set[tuple[int, int]]:
    """The dark modules (x, y) of the token's QR code, border included, as ``qrcode`` draws it."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=10, border=4)
    code.add_data(token)
    code.make(fit=True)
    return {(x, y) for y, row in enumerate(code.get_matrix()) for x, dark in enumerate(row) if dark}


# -- fixtures --------------------------------------------------------------------------------------------


@pytest.fixture
def resident(residents):
    return residents.create(name="张伟")


@pytest.fixture
def me(residents, resident):
    """The resident's bound WeChat account."""
    return residents.bound_headers(resident)


@pytest.fixture
def shop(verifiers):
    return verifiers.create("merchant", name="惠民超市")


@pytest.fixture
def cashier(verifiers, shop):
    return verifiers.operator_headers(shop, "cashier")


@pytest.fixture
def rival(verifiers):
    return verifiers.create("merchant", name="隔壁超市")


@pytest.fixture
def rival_cashier(verifiers, rival):
    return verifiers.operator_headers(rival, "rival-cashier")


@pytest.fixture
def bank(verifiers):
    return verifiers.create("bank", name="江阴农商银行")


@pytest.fixture
def bank_system(verifiers, bank):
    return verifiers.api_key_headers(bank)


@pytest.fixture
def admin(staff):
    return staff.headers("admin")


# -- issuing a code --------------------------------------------------------------------------------------


def test_a_bound_resident_gets_a_code_that_expires_sixty_seconds_after_issue(client, me):
    before = utcnow().replace(microsecond=0)
    body = issue(client, me)
    after = utcnow()
    assert set(body) == {"token", "expires_at", "qr_svg"}
    claims = claims_of(body["token"])
    expires = local_time(body["expires_at"])
    assert claims["exp"] - claims["iat"] == 60
    assert int(expires.timestamp()) == claims["exp"]
    assert before <= datetime.fromtimestamp(claims["iat"], UTC) <= after
    assert before + timedelta(seconds=60) <= expires <= after + timedelta(seconds=60)


def test_the_scope_defaults_to_basic_and_an_unknown_scope_is_422(client, me):
    assert claims_of(client.post(CODE, json={}, headers=me).get_json()["token"])["scope"] == "basic"
    refused(client.post(CODE, json={"scope": "everything"}, headers=me), 422, "invalid_input")
    refused(client.get(PNG, query_string={"scope": "everything"}, headers=me), 422, "invalid_input")


def test_the_lifetime_follows_the_setting(client, me, admin):
    assert client.put(SETTINGS, json={"credit_code.ttl_seconds": 120}, headers=admin).status_code == 200
    body = issue(client, me)
    claims = claims_of(body["token"])
    assert claims["exp"] - claims["iat"] == 120
    assert local_time(body["expires_at"]) - datetime.fromtimestamp(claims["iat"], UTC) == timedelta(seconds=120)


def test_an_unbound_account_gets_no_code(client, residents):
    headers = residents.headers("not-yet-bound")
    refused(client.post(CODE, json={"scope": "basic"}, headers=headers), 403, "not_bound")
    refused(client.get(PNG, query_string={"scope": "basic"}, headers=headers), 403, "not_bound")


def test_a_resident_the_registry_shows_as_moved_gets_no_code(client, residents, resident, me):
    issue(client, me)
    move_away(residents, resident)
    refused(client.post(CODE, json={"scope": "basic"}, headers=me), 403, "resident_not_active")
    refused(client.get(PNG, query_string={"scope": "basic"}, headers=me), 403, "resident_not_active")


def test_only_residents_get_codes(client, cashier, bank_system, admin):
    refused(client.post(CODE, json={"scope": "basic"}), 401, "unauthenticated")
    for headers in (cashier, bank_system, admin):
        assert client.post(CODE, json={"scope": "basic"}, headers=headers).status_code == 403


def test_the_code_is_an_eddsa_jwt_with_a_kid_and_the_claims_of_the_spec(client, me, resident):
    grant(resident, "SC-UP", 40, "up-1")  # 1040 points: 4 stars
    token = token_of(client, me, "detailed")
    header = header_of(token)
    assert header["alg"] == "EdDSA"
    assert header["kid"] == db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    assert set(header) <= {"alg", "typ", "kid"}
    assert header["typ"] == keys.CODE_TYP  # its kind, so no other signed token passes for a code
    claims = claims_of(token)
    assert set(claims) == {"iss", "sub", "scope", "stars", "iat", "exp", "jti"}
    assert claims["scope"] == "detailed"
    assert claims["stars"] == 4
    assert isinstance(claims["jti"], str) and len(claims["jti"]) >= 16


def test_the_code_carries_no_id_number_name_phone_or_points(client, me, resident):
    grant(resident, "SC-UP", 37, "up-1")  # 1037 points
    token = token_of(client, me, "detailed")
    claims = claims_of(token)
    header_and_claims = json.dumps([header_of(token), claims], ensure_ascii=False)
    plain = resident.plain
    # Fragments short enough to turn up by chance in a timestamp or a random jti are left out.
    for secret in (plain["id_number"], plain["id_number"][-8:], plain["name"], plain["phone"], plain["phone"][-7:],
                   "3202**********", "张*", "138****"):
        assert secret not in header_and_claims
    assert 1037 not in claims.values() and "1037" not in {str(v) for v in claims.values()}
    assert not {"points", "score", "name", "id_number", "phone", "resident_id"} & set(claims)
    assert claims["sub"] != str(resident.id)
    with pytest.raises(ValueError):
        int(claims["sub"])


def test_two_codes_of_one_resident_share_no_identifying_claim(client, me):
    first, second = claims_of(token_of(client, me)), claims_of(token_of(client, me))
    assert first["jti"] != second["jti"]
    assert first["sub"] != second["sub"]
    shared = {name for name in first if first[name] == second.get(name)}
    assert shared <= {"iss", "scope", "stars", "iat", "exp"}


def test_the_qr_svg_is_well_formed_and_draws_the_token(client, me):
    body = issue(client, me)
    root = ET.fromstring(body["qr_svg"].encode())  # noqa: S314 - the server's own output under test
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    paths = root.findall("{http://www.w3.org/2000/svg}path")
    assert len(paths) == 1
    drawn = {(int(x), int(y)) for x, y in re.findall(r"M(\d+),(\d+)H", paths[0].get("d"))}
    assert drawn == dark_modules(body["token"])


def test_the_png_is_a_fresh_uncached_qr_of_a_valid_code(client, me, cashier, monkeypatch):
    issued = []
    real_issue = codes.issue

    def spy(resident, scope):
        issued.append(real_issue(resident, scope))
        return issued[-1]

    monkeypatch.setattr(codes, "issue", spy)
    response = client.get(PNG, query_string={"scope": "basic"}, headers=me)
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["Cache-Control"] == "no-store"
    image = response.get_data()
    assert image.startswith(PNG_SIGNATURE)
    assert 500 < len(image) < 100_000
    [code] = issued
    assert datetime.fromisoformat(response.headers["X-Expires-At"]) == code.expires_at

    width, height, rows, _info = png.Reader(file=io.BytesIO(image)).read()
    pixels = [list(row) for row in rows]
    assert width == height >= 300
    modules = width // 10
    drawn = {(x, y) for y in range(modules) for x in range(modules) if not pixels[y * 10 + 5][x * 10 + 5]}
    assert drawn == dark_modules(code.token)
    assert verified(client, cashier, code.token)["stars"] == 3


def test_the_png_expiry_header_is_in_china_time(client, me):
    """SPEC §10: times are shown in Asia/Shanghai, like ``expires_at`` of the JSON answer."""
    response = client.get(PNG, query_string={"scope": "basic"}, headers=me)
    assert response.status_code == 200
    local_time(response.headers["X-Expires-At"])


# -- the JWKS and offline checks -------------------------------------------------------------------------


def test_the_jwks_lists_the_active_public_key_and_nothing_private(client, me):
    token = token_of(client, me)
    response = client.get(JWKS)
    assert response.status_code == 200
    [key] = response.get_json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519"
    assert key["kid"] == header_of(token)["kid"]
    assert len(unb64(key["x"])) == 32
    assert "d" not in key
    assert set(key) <= {"kty", "crv", "x", "kid", "alg", "use"}


def test_the_jwks_needs_no_token(client, me):
    token_of(client, me)
    response = client.get(JWKS)
    assert response.status_code == 200
    assert [key["kid"] for key in response.get_json()["keys"]] == [header_of(token_of(client, me))["kid"]]


def test_a_bank_verifies_a_code_offline_with_only_the_jwks(client, me):
    token = token_of(client, me)
    jwks = client.get(JWKS).get_json()
    keyset = jwt.PyJWKSet.from_dict(jwks)
    key = keyset[header_of(token)["kid"]]
    claims = jwt.decode(token, key.key, algorithms=["EdDSA"], options={"require": ["exp", "iat", "jti"]})
    assert claims["stars"] == 3 and claims["scope"] == "basic"
    single = jwt.PyJWK(jwks["keys"][0])
    assert jwt.decode(token, single, algorithms=["EdDSA"])["jti"] == claims["jti"]


def test_offline_checks_refuse_a_tampered_or_expired_code(client, me, monkeypatch):
    token = token_of(client, me)
    key = jwt.PyJWK(client.get(JWKS).get_json()["keys"][0])
    head, payload, signature = token.split(".")
    claims = json.loads(unb64(payload))
    claims["stars"] = 5
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{segment(claims)}.{signature}", key, algorithms=["EdDSA"])
    with monkeypatch.context() as patched:
        patched.setattr(codes, "utcnow", lambda: utcnow() - timedelta(minutes=2))
        old = token_of(client, me)
    with pytest.raises(jwt.ExpiredSignatureError):
        jwt.decode(old, key, algorithms=["EdDSA"])


def test_the_private_part_of_a_signing_key_is_sealed_in_the_database(client, me):
    token_of(client, me)
    row = db.session.scalar(select(SigningKey))
    private = open_sealed(keys.SEALED_FIELD, row.private_sealed)
    raw = unb64(private)
    assert len(raw) == 32
    assert raw not in row.private_sealed and private.encode() not in row.private_sealed
    public = Ed25519PrivateKey.from_private_bytes(raw).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    assert b64(public) == row.public_key


def test_rotation_publishes_both_keys_and_old_codes_verify_until_they_expire(app, client, me, cashier):
    old_token = token_of(client, me)
    old_kid = header_of(old_token)["kid"]
    result = app.test_cli_runner().invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    new_kid = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    assert new_kid != old_kid and new_kid in result.output

    listed = {key["kid"] for key in client.get(JWKS).get_json()["keys"]}
    assert listed == {old_kid, new_kid}
    new_token = token_of(client, me)
    assert header_of(new_token)["kid"] == new_kid

    keyset = jwt.PyJWKSet.from_dict(client.get(JWKS).get_json())
    for token in (old_token, new_token):
        jwt.decode(token, keyset[header_of(token)["kid"]], algorithms=["EdDSA"])
    assert verified(client, cashier, old_token)["stars"] == 3
    assert verified(client, cashier, new_token)["stars"] == 3


def test_a_rotated_key_stays_published_for_the_longest_code_lifetime(app, client, me):
    token_of(client, me)
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    retired = db.session.scalar(select(SigningKey).where(SigningKey.active.is_(False)))
    assert retired.published_until - retired.retired_at >= timedelta(seconds=CREDIT_CODE_MAX_TTL_SECONDS)


def test_a_key_past_its_publishing_window_is_no_longer_listed(app, client, me):
    old_kid = header_of(token_of(client, me))["kid"]
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    db.session.execute(update(SigningKey).where(SigningKey.kid == old_kid).values(
        published_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    listed = [key["kid"] for key in client.get(JWKS).get_json()["keys"]]
    assert old_kid not in listed and len(listed) == 1


def private_key_of(kid: str) -> Ed25519PrivateKey:
    row = db.session.get(SigningKey, kid)
    return Ed25519PrivateKey.from_private_bytes(unb64(open_sealed(keys.SEALED_FIELD, row.private_sealed)))


def test_a_key_past_its_publishing_window_verifies_nothing(app, client, me, resident, cashier):
    old_kid = header_of(token_of(client, me))["kid"]
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    alive = signed(good_claims(resident), kid=old_kid, key=private_key_of(old_kid))
    db.session.execute(update(SigningKey).where(SigningKey.kid == old_kid).values(
        published_until=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    refused(verify(client, cashier, alive), 400, "code_invalid")
    assert count(Verification) == 0 and count(QueryRecord) == 0


def test_retiring_the_active_key_refuses_its_codes_at_once_and_a_new_key_signs(app, client, me, cashier):
    in_flight = token_of(client, me)
    kid = header_of(in_flight)["kid"]
    result = app.test_cli_runner().invoke(args=["keys", "retire", kid])
    assert result.exit_code == 0, result.output
    successor = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    assert successor and successor != kid and f"key {kid} retired" in result.output and successor in result.output

    refused(verify(client, cashier, in_flight), 400, "code_invalid")
    assert [key["kid"] for key in client.get(JWKS).get_json()["keys"]] == [successor]
    fresh = token_of(client, me)
    assert header_of(fresh)["kid"] == successor
    assert verified(client, cashier, fresh)["stars"] == 3


def test_retiring_a_rotated_out_key_ends_its_grace_at_once(app, client, me, cashier):
    old = token_of(client, me)
    old_kid = header_of(old)["kid"]
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    active = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    assert app.test_cli_runner().invoke(args=["keys", "retire", old_kid]).exit_code == 0
    refused(verify(client, cashier, old), 400, "code_invalid")
    assert db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True))) == active
    assert [key["kid"] for key in client.get(JWKS).get_json()["keys"]] == [active]


def test_retiring_an_unknown_kid_says_so_and_changes_nothing(app, client, me):
    kid = header_of(token_of(client, me))["kid"]
    result = app.test_cli_runner().invoke(args=["keys", "retire", "0123456789abcdef"])
    assert result.exit_code != 0 and "no signing key" in result.output
    assert db.session.get(SigningKey, kid).active is True


def test_the_key_list_names_each_keys_state(app, client, me):
    first = header_of(token_of(client, me))["kid"]
    app.test_cli_runner().invoke(args=["keys", "rotate"])
    second = db.session.scalar(select(SigningKey.kid).where(SigningKey.active.is_(True)))
    app.test_cli_runner().invoke(args=["keys", "retire", first])
    lines = app.test_cli_runner().invoke(args=["keys", "list"]).output.splitlines()
    assert lines[0].startswith(second) and "active" in lines[0]
    assert lines[1].startswith(first) and "withdrawn" in lines[1] and "+08:00" in lines[1]


@pytest.mark.parametrize(("lifetime", "status"), [(60, 200), (65, 200), (66, 400), (3600, 400), (10**9, 400)])
def test_a_code_living_longer_than_the_setting_allows_is_invalid(client, me, resident, cashier, lifetime, status):
    now = int(utcnow().timestamp())
    kid = header_of(token_of(client, me))["kid"]
    response = verify(client, cashier, signed(good_claims(resident, iat=now, exp=now + lifetime), kid=kid))
    assert response.status_code == status, response.get_json()
    if status == 400:
        assert response.get_json()["reason"] == "code_invalid"


def test_a_non_numeric_or_endless_lifetime_is_invalid(client, me, resident, cashier):
    now = int(utcnow().timestamp())
    kid = header_of(token_of(client, me))["kid"]
    for exp in ("soon", None, True, float("inf")):
        claims = {**good_claims(resident, iat=now), "exp": exp}
        refused(verify(client, cashier, signed(claims, kid=kid)), 400, "code_invalid")


def test_a_code_signed_before_rotation_still_expires(app, client, me, cashier, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(codes, "utcnow", lambda: utcnow() - timedelta(minutes=2))
        old = token_of(client, me)
    assert app.test_cli_runner().invoke(args=["keys", "rotate"]).exit_code == 0
    refused(verify(client, cashier, old), 410, "code_expired")


# -- verifying a code ------------------------------------------------------------------------------------


def test_an_operator_verifies_a_code_and_sees_the_live_stars(client, me, resident, cashier, shop):
    token = token_of(client, me)
    assert claims_of(token)["stars"] == 3
    grant(resident, "SC-UP", 40, "up-1")  # 1040 points: 4 stars, after the code was issued
    before = utcnow()
    body = verified(client, cashier, token)
    assert body["stars"] == 4
    assert body["level_name"] == "诚信优秀"
    assert body["resident"] == {"masked_name": "张*"}
    assert body["scope"] == "basic"
    assert before - timedelta(seconds=1) <= local_time(body["verified_at"]) <= utcnow()
    assert isinstance(body["verification_id"], int)
    assert "points" not in body and "active_penalties" not in body
    assert "redeemed_offer" not in body and "admitted" not in body
    stored = db.session.get(Verification, body["verification_id"])
    assert stored.jti == claims_of(token)["jti"] and stored.verifier_id == shop.id and stored.stars == 4


def test_the_answer_never_shows_the_name_id_number_or_phone_in_clear(client, me, resident, cashier, bank_system):
    for headers, scope in ((cashier, "basic"), (bank_system, "detailed")):
        text = json.dumps(verified(client, headers, token_of(client, me, scope)), ensure_ascii=False)
        for secret in (resident.plain["name"], resident.plain["id_number"], resident.plain["phone"]):
            assert secret not in text


def test_a_bank_system_verifies_a_code_by_api_key(client, me, bank_system, bank):
    body = verified(client, bank_system, token_of(client, me), purpose="loan")
    assert body["stars"] == 3 and body["level_name"] == "诚信良好"
    stored = db.session.get(Verification, body["verification_id"])
    assert stored.verifier_id == bank.id and stored.api_key_id is not None and stored.operator_id is None


def test_eligible_offers_are_the_callers_own_current_offers_the_stars_reach(client, me, cashier, shop, rival):
    three = offer(shop, min_stars=3, title="九折")
    offer(shop, min_stars=4, title="八折")
    offer(shop, min_stars=1, starts=-30, ends=-1, title="已过期")
    offer(shop, min_stars=1, starts=1, ends=30, title="未开始")
    gone = offer(shop, min_stars=1, title="已撤下")
    verifiers_service.withdraw_offer(None, shop.id, gone.id)
    offer(rival, min_stars=1, title="隔壁的")
    body = verified(client, cashier, token_of(client, me))
    assert [o["id"] for o in body["eligible_offers"]] == [three.id]
    assert body["eligible_offers"][0]["title"] == "九折"


def test_a_tampered_code_is_400_code_invalid(client, me, cashier):
    head, payload, signature = token_of(client, me).split(".")
    claims = json.loads(unb64(payload))
    claims["stars"] = 5
    refused(verify(client, cashier, f"{head}.{segment(claims)}.{signature}"), 400, "code_invalid")
    assert count(Verification) == 0


def test_a_code_signed_by_another_key_under_the_real_kid_is_400(client, me, resident, cashier):
    kid = header_of(token_of(client, me))["kid"]
    forged = signed(good_claims(resident), kid=kid, key=Ed25519PrivateKey.generate())
    refused(verify(client, cashier, forged), 400, "code_invalid")


def test_the_server_accepts_a_code_it_signed_itself(client, me, resident, cashier):
    """The control for the forgeries below: the same claims signed by the real key do verify."""
    kid = header_of(token_of(client, me))["kid"]
    assert verified(client, cashier, signed(good_claims(resident), kid=kid))["stars"] == 3


def test_an_unknown_kid_is_400_even_with_the_real_signature(client, me, resident, cashier):
    token_of(client, me)
    refused(verify(client, cashier, signed(good_claims(resident), kid="0123456789abcdef")), 400, "code_invalid")


@pytest.mark.parametrize("secret", ["raw", "x", "pem"])
def test_the_algorithm_is_pinned_hs256_signed_with_the_public_key_is_400(client, me, resident, cashier, secret):
    kid = header_of(token_of(client, me))["kid"]
    row = db.session.get(SigningKey, kid)
    public = Ed25519PrivateKey.from_private_bytes(unb64(open_sealed(keys.SEALED_FIELD, row.private_sealed))
                                                  ).public_key()
    secrets_by_name = {
        "raw": unb64(row.public_key),
        "x": row.public_key.encode(),
        "pem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
    }
    token = hmac_signed({"alg": "HS256", "typ": "JWT", "kid": kid}, good_claims(resident), secrets_by_name[secret])
    refused(verify(client, cashier, token), 400, "code_invalid")


@pytest.mark.parametrize("alg", ["none", "None", "NONE"])
def test_an_unsigned_code_is_400(client, me, resident, cashier, alg):
    kid = header_of(token_of(client, me))["kid"]
    unsigned = f"{segment({'alg': alg, 'typ': 'JWT', 'kid': kid})}.{segment(good_claims(resident))}."
    refused(verify(client, cashier, unsigned), 400, "code_invalid")


@pytest.mark.parametrize("changes", [
    {"jti": None}, {"exp": None}, {"iat": None}, {"sub": None}, {"scope": None}, {"iss": "somebody-else"},
    {"iss": None}, {"scope": "everything"}, {"sub": "not-a-sealed-subject"}, {"jti": "x" * 65},
    {"exp": "tomorrow"},
], ids=lambda changes: ",".join(f"{k}={str(v)[:12]}" for k, v in changes.items()))
def test_a_correctly_signed_code_with_bad_claims_is_400(client, me, resident, cashier, changes):
    kid = header_of(token_of(client, me))["kid"]
    refused(verify(client, cashier, signed(good_claims(resident, **changes), kid=kid)), 400, "code_invalid")


def test_a_signed_code_for_a_resident_who_does_not_exist_is_400(client, me, resident, cashier):
    kid = header_of(token_of(client, me))["kid"]
    claims = good_claims(resident, sub=codes.seal_subject(resident.id + 1000))
    refused(verify(client, cashier, signed(claims, kid=kid)), 400, "code_invalid")


def test_a_subject_sealed_under_another_data_key_is_400(client, me, resident, cashier, app, monkeypatch):
    kid = header_of(token_of(client, me))["kid"]
    with monkeypatch.context() as patched:
        patched.setitem(app.config, "DATA_ENCRYPTION_KEY_BYTES", b"\x01" * 32)
        sub = codes.seal_subject(resident.id)
    refused(verify(client, cashier, signed(good_claims(resident, sub=sub), kid=kid)), 400, "code_invalid")


def _garbage(kid: str) -> list[str]:
    def raw_header(text: str) -> str:
        return b64(text.encode())

    body = segment({"scope": "basic"})
    return [
        "x", "not a code", "a.b.c", "..", "...", "....", "eyJ.eyJ.sig", "Bearer abc.def.ghi", "信用码",
        "%00%00", "\u202e", " " * 10,
        f"{raw_header('not json')}.{body}.c2ln",
        f"{raw_header('[]')}.{body}.c2ln",
        f"{raw_header('null')}.{body}.c2ln",
        f"{raw_header('123')}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA'})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': 7})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': ['a']})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': {'a': 1}})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': ''})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': 'k' * 500})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': 'bad' + chr(0) + 'kid'})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': chr(0xD800)})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': '%00'})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': kid})}.{body}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': kid})}.{raw_header('not json')}.c2ln",
        f"{segment({'alg': 'EdDSA', 'kid': kid})}.{raw_header('[1, 2]')}.",
        f"{segment({'alg': 'EdDSA', 'kid': kid})}.{body}.!!!",
        f"{segment({'alg': 'EdDSA', 'kid': kid})}.{body}",
        f"{segment({'alg': 'ES256', 'kid': kid})}.{body}.c2ln",
        f"{segment({'alg': 'RS256', 'kid': kid})}.{body}.c2ln",
        f"{segment({'alg': 7, 'kid': kid})}.{body}.c2ln",
    ]


def test_garbage_codes_are_400_code_invalid_never_500(client, me, cashier, bank_system):
    kid = header_of(token_of(client, me))["kid"]
    wrong = []
    for headers in (cashier, bank_system):
        for garbage in _garbage(kid):
            try:
                response = verify(client, headers, garbage)
            except Exception as exc:  # noqa: BLE001 - the test client re-raises what would be a 500
                db.session.rollback()
                wrong.append((garbage, 500, type(exc).__name__))
                continue
            if response.status_code != 400 or response.get_json()["reason"] != "code_invalid":
                wrong.append((garbage, response.status_code, response.get_json()))
    assert wrong == []


def test_a_residents_access_token_is_not_a_code(client, me, cashier):
    access_token = me["Authorization"].split()[1]
    refused(verify(client, cashier, access_token), 400, "code_invalid")


@pytest.mark.parametrize("body", [
    {}, {"token": "", "purpose": "discount"}, {"token": "x" * 2049, "purpose": "discount"},
    {"token": "abc", "purpose": "bribery"}, {"token": 7, "purpose": "discount"}, {"purpose": "discount"},
    {"token": "abc", "purpose": "discount", "offer_id": "1"}, {"token": "abc", "purpose": "discount", "offer_id": 0},
    {"token": "abc", "purpose": "admission", "min_stars": 6}, {"token": "abc", "purpose": "discount", "extra": 1},
    {"token": "\x00", "purpose": "discount"},
])
def test_a_malformed_request_is_422(client, cashier, body):
    refused(client.post(VERIFY, json=body, headers=cashier), 422, "invalid_input")


def test_an_expired_code_is_410_and_not_consumed(client, me, cashier, monkeypatch):
    with monkeypatch.context() as patched:
        patched.setattr(codes, "utcnow", lambda: utcnow() - timedelta(minutes=2))
        token = token_of(client, me)
    refused(verify(client, cashier, token), 410, "code_expired")
    assert count(Verification) == 0 and count(QueryRecord) == 0


def test_a_code_works_once(client, me, cashier, rival_cashier, bank_system):
    token = token_of(client, me)
    verified(client, cashier, token)
    for headers in (cashier, rival_cashier, bank_system):
        refused(verify(client, headers, token), 409, "code_used")
    assert count(Verification) == 1 and count(QueryRecord) == 1


def test_a_used_code_is_code_used_before_any_other_rule(client, residents, resident, me, cashier, shop,
                                                       bank_system, monkeypatch):
    deal = offer(shop, min_stars=3, quota=1)
    token = token_of(client, me)
    verified(client, cashier, token, offer_id=deal.id)
    refused(verify(client, cashier, token, offer_id=deal.id), 409, "code_used")  # not quota_exhausted
    detailed = token_of(client, me, "detailed")
    verified(client, bank_system, detailed, purpose="loan")
    refused(verify(client, cashier, detailed), 409, "code_used")  # not scope_not_allowed
    refused(verify(client, cashier, token, offer_id=99999), 409, "code_used")  # not offer_not_found
    refused(verify(client, cashier, token, purpose="admission"), 409, "code_used")
    move_away(residents, resident)
    refused(verify(client, cashier, token), 409, "code_used")  # not resident_not_active
    with monkeypatch.context() as patched:
        patched.setattr(codes, "utcnow", lambda: utcnow() + timedelta(minutes=5))
        refused(verify(client, cashier, token), 409, "code_used")  # not code_expired
    assert count(QueryRecord) == 2, "a used code tells nothing new: no further records"


@pytest.mark.parametrize("kind", ["merchant", "organisation"])
def test_only_banks_verify_detailed_codes_and_a_refusal_does_not_consume_the_code(client, verifiers, me, resident,
                                                                                  bank_system, kind):
    grant(resident, "SC-UP", 40, "up-1")
    penalty = grant(resident, "SC-DOWN", -15, "down-1")  # 1025 points: 3 stars
    other = verifiers.operator_headers(verifiers.create(kind), f"{kind}-operator")
    token = token_of(client, me, "detailed")
    refused(verify(client, other, token), 403, "scope_not_allowed")
    assert count(Verification) == 0 and count(QueryRecord) == 0

    body = verified(client, bank_system, token, purpose="loan")
    assert body["scope"] == "detailed"
    assert body["points"] == 1025 and body["stars"] == 3
    [listed] = body["active_penalties"]
    assert listed["rubric_code"] == "SC-DOWN" and listed["points"] == -15 and listed["status"] == "active"
    assert listed["title"] == penalty.title
    for field in ("occurred_at", "effective_until"):
        local_time(listed[field])


def test_a_bank_with_a_basic_code_sees_no_points(client, me, bank_system):
    body = verified(client, bank_system, token_of(client, me), purpose="loan")
    assert "points" not in body and "active_penalties" not in body


def test_a_suspended_verifiers_operator_and_key_are_403_and_consume_nothing(client, me, shop, cashier, bank,
                                                                           bank_system):
    token = token_of(client, me)
    for verifier, headers in ((shop, cashier), (bank, bank_system)):
        verifiers_service.set_status(None, verifier.id, "suspended", "暂停核验")
        refused(verify(client, headers, token), 403, "verifier_suspended")
    assert count(Verification) == 0
    verifiers_service.set_status(None, shop.id, "active", "恢复")
    verified(client, cashier, token)


def test_residents_and_staff_may_not_verify_and_no_token_is_401(client, me, staff):
    token = token_of(client, me)
    refused(client.post(VERIFY, json={"token": token, "purpose": "discount"}), 401, "unauthenticated")
    for headers in (me, staff.headers("admin"), staff.headers("reviewer")):
        refused(verify(client, headers, token), 403, "role_not_allowed")
    assert verify(client, {"X-API-Key": "cxk_not_a_real_key"}, token).status_code == 401
    assert count(Verification) == 0


def test_a_code_of_a_resident_who_moved_since_issue_is_refused_and_the_refusal_is_a_query_record(
        client, residents, resident, me, cashier):
    token = token_of(client, me)
    move_away(residents, resident)
    refused(verify(client, cashier, token), 403, "resident_not_active")
    assert count(Verification) == 0
    [record] = db.session.scalars(select(QueryRecord)).all()
    assert (record.resident_id, record.actor_label, record.purpose) == (resident.id, "惠民超市", "discount")


# -- offers ----------------------------------------------------------------------------------------------


def test_an_offer_is_redeemed_when_the_stars_reach_it(client, me, cashier, shop):
    deal = offer(shop, min_stars=3, title="九折")
    body = verified(client, cashier, token_of(client, me), offer_id=deal.id)
    assert body["redeemed_offer"]["id"] == deal.id and body["redeemed_offer"]["title"] == "九折"
    assert "redeem_refused_reason" not in body
    stored = db.session.get(Verification, body["verification_id"])
    assert stored.offer_id == deal.id and stored.redeemed is True


def test_stars_too_low_is_200_with_no_redemption_and_the_reason(client, me, cashier, shop):
    deal = offer(shop, min_stars=4)
    body = verified(client, cashier, token_of(client, me), offer_id=deal.id)
    assert body["redeemed_offer"] is None
    assert body["redeem_refused_reason"] == "stars_too_low"
    assert body["stars"] == 3 and body["eligible_offers"] == []
    assert db.session.get(Verification, body["verification_id"]).redeemed is False


def test_the_offer_follows_the_live_stars_not_the_codes(client, me, resident, cashier, shop):
    deal = offer(shop, min_stars=4)
    token = token_of(client, me)
    grant(resident, "SC-UP", 40, "up-1")
    assert verified(client, cashier, token, offer_id=deal.id)["redeemed_offer"]["id"] == deal.id


@pytest.mark.parametrize("which", ["rival", "withdrawn", "expired", "not_started", "unknown"])
def test_an_offer_that_is_not_one_of_the_callers_current_offers_is_404_and_the_code_survives(
        client, me, cashier, shop, rival, which):
    if which == "rival":
        offer_id = offer(rival, min_stars=1).id
    elif which == "withdrawn":
        offer_id = offer(shop, min_stars=1).id
        verifiers_service.withdraw_offer(None, shop.id, offer_id)
    elif which == "expired":
        offer_id = offer(shop, min_stars=1, starts=-30, ends=-1).id
    elif which == "not_started":
        offer_id = offer(shop, min_stars=1, starts=1, ends=30).id
    else:
        offer_id = 99999
    token = token_of(client, me)
    refused(verify(client, cashier, token, offer_id=offer_id), 404, "offer_not_found")
    assert count(Verification) == 0
    assert "redeemed_offer" not in verified(client, cashier, token)


def test_the_offer_quota_counts_per_calendar_month_and_an_exhausted_code_survives(client, me, cashier, shop):
    deal = offer(shop, min_stars=3, quota=2)
    for _ in range(2):
        assert verified(client, cashier, token_of(client, me), offer_id=deal.id)["redeemed_offer"]["id"] == deal.id
    third = token_of(client, me)
    refused(verify(client, cashier, third, offer_id=deal.id), 409, "quota_exhausted")
    assert count(Verification) == 2
    assert count(QueryRecord) == 3, "the refusal told the cashier the resident used the offer: a read"
    body = verified(client, cashier, third)
    assert "redeemed_offer" not in body


def test_refused_redemptions_do_not_count_against_the_quota(client, me, resident, cashier, shop):
    deal = offer(shop, min_stars=4, quota=1)
    verified(client, cashier, token_of(client, me), offer_id=deal.id)  # 3 stars: refused, stars_too_low
    grant(resident, "SC-UP", 40, "up-1")
    assert verified(client, cashier, token_of(client, me), offer_id=deal.id)["redeemed_offer"]["id"] == deal.id


def test_the_quota_is_per_resident(client, residents, me, cashier, shop):
    deal = offer(shop, min_stars=3, quota=1)
    verified(client, cashier, token_of(client, me), offer_id=deal.id)
    neighbour = residents.bound_headers(residents.create(name="李娜", phone=None))
    assert verified(client, cashier, token_of(client, neighbour), offer_id=deal.id)["redeemed_offer"]


def _redeem_at(client, me, cashier, deal, moment: datetime, monkeypatch):
    token = token_of(client, me)
    with monkeypatch.context() as patched:
        patched.setattr(codes, "utcnow", lambda: moment)
        return verify(client, cashier, token, offer_id=deal.id)


def test_a_redemption_last_month_does_not_count(client, me, cashier, shop, monkeypatch):
    deal = offer(shop, min_stars=3, quota=1, valid_from=utcnow() - timedelta(days=70))
    last_month = utcnow().astimezone(SHANGHAI).replace(day=1) - timedelta(days=3)
    assert _redeem_at(client, me, cashier, deal, last_month, monkeypatch).status_code == 200
    assert verified(client, cashier, token_of(client, me), offer_id=deal.id)["redeemed_offer"]["id"] == deal.id
    refused(verify(client, cashier, token_of(client, me), offer_id=deal.id), 409, "quota_exhausted")


def test_the_quota_month_is_the_calendar_month_in_china_time(client, me, cashier, shop, monkeypatch):
    deal = offer(shop, min_stars=3, quota=2, valid_from=datetime(2025, 1, 1, tzinfo=UTC))

    def at(text):
        return _redeem_at(client, me, cashier, deal, datetime.fromisoformat(text), monkeypatch)

    assert at("2025-05-31T15:59:00+00:00").status_code == 200  # 23:59 on 31 May in Jiangyin
    assert at("2025-05-31T16:00:00+00:00").status_code == 200  # 00:00 on 1 June
    assert at("2025-06-30T15:59:00+00:00").status_code == 200  # 23:59 on 30 June: June's second
    refused(at("2025-06-15T04:00:00+00:00"), 409, "quota_exhausted")
    assert at("2025-06-30T16:00:00+00:00").status_code == 200  # 00:00 on 1 July
    assert [v.redeemed for v in db.session.scalars(select(Verification).order_by(Verification.id))] == [True] * 4


# -- admission checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("min_stars", "admitted"), [(1, True), (3, True), (4, False), (5, False)])
def test_an_admission_check_says_admitted_and_never_the_points(client, me, cashier, min_stars, admitted):
    body = verified(client, cashier, token_of(client, me), purpose="admission", min_stars=min_stars)
    assert body["admitted"] is admitted
    assert "points" not in body and "active_penalties" not in body
    assert db.session.get(Verification, body["verification_id"]).admitted is admitted


def test_an_admission_check_follows_the_live_stars(client, me, resident, cashier):
    token = token_of(client, me)
    grant(resident, "SC-UP", 40, "up-1")
    assert verified(client, cashier, token, purpose="admission", min_stars=4)["admitted"] is True


def test_an_admission_check_on_a_detailed_code_never_shows_the_points_either(client, me, bank_system):
    """SPEC §4: an admission answer says admitted true or false, 'never the points'."""
    body = verified(client, bank_system, token_of(client, me, "detailed"), purpose="admission", min_stars=3)
    assert body["admitted"] is True
    assert "points" not in body


def test_an_admission_check_without_min_stars_is_422_and_the_code_survives(client, me, cashier):
    token = token_of(client, me)
    response = verify(client, cashier, token, purpose="admission")
    refused(response, 422, "invalid_input")
    assert "min_stars" in response.get_json()["errors"]["json"]
    assert count(Verification) == 0
    assert verified(client, cashier, token, purpose="admission", min_stars=3)["admitted"] is True


# -- query records and the verifier's history ------------------------------------------------------------


def test_each_verification_is_a_query_record_the_resident_sees(client, me, cashier, bank_system):
    verified(client, cashier, token_of(client, me), purpose="discount")
    verified(client, bank_system, token_of(client, me, "detailed"), purpose="loan")
    response = client.get(RECORDS, headers=me)
    assert response.status_code == 200
    records = [{k: r[k] for k in ("actor_role", "actor_label", "purpose", "scope")} for r in response.get_json()]
    assert records == [
        {"actor_role": "verifier_system", "actor_label": "江阴农商银行", "purpose": "loan", "scope": "detailed"},
        {"actor_role": "operator", "actor_label": "惠民超市", "purpose": "discount", "scope": "basic"},
    ]


def test_refused_verifications_leave_no_query_record(client, me, cashier):
    token = token_of(client, me, "detailed")
    refused(verify(client, cashier, token), 403, "scope_not_allowed")
    refused(verify(client, cashier, "garbage"), 400, "code_invalid")
    assert client.get(RECORDS, headers=me).get_json() == []


def test_the_merchant_history_lists_only_its_own_verifications_with_masked_names(
        client, residents, me, cashier, rival_cashier, bank_system):
    other = residents.bound_headers(residents.create(name="欧阳娜娜", phone=None))
    first = verified(client, cashier, token_of(client, me))
    second = verified(client, cashier, token_of(client, other), purpose="admission", min_stars=4)
    verified(client, rival_cashier, token_of(client, me))
    verified(client, bank_system, token_of(client, me))

    response = client.get(HISTORY, headers=cashier)
    assert response.status_code == 200
    history = response.get_json()
    assert [v["id"] for v in history] == [second["verification_id"], first["verification_id"]]
    assert [v["masked_name"] for v in history] == ["欧阳**", "张*"]
    assert history[0]["purpose"] == "admission" and history[0]["admitted"] is False
    assert history[1]["scope"] == "basic" and history[1]["stars"] == 3 and history[1]["redeemed"] is False
    assert json.loads(response.headers["X-Pagination"])["total"] == 2
    text = json.dumps(history, ensure_ascii=False)
    assert "张伟" not in text and "欧阳娜娜" not in text


def test_the_history_is_for_operators_only(client, me, bank_system):
    refused(client.get(HISTORY), 401, "unauthenticated")
    for headers in (me, bank_system):
        assert client.get(HISTORY, headers=headers).status_code == 403
