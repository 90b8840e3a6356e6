"""Statements built once (backend/data/prepared.py) behave like the session's own: they run in its
transaction, see what it has pending, and the hot paths that use them write every column they should."""

from datetime import timedelta

import pytest
from sqlalchemy import bindparam, func, insert, select

from backend.codes import service as codes
from backend.codes.models import Verification
from backend.data.extensions import db
from backend.data.prepared import Prepared, placeholders
from backend.dates.timeutil import utcnow
from backend.query_records import service as query_records
from backend.query_records.models import QueryRecord
from backend.settings.models import SettingValue
from backend.verifiers import service as verifiers_service
from backend.web.access import Principal

VERIFY = "/api/v1/verifications"


def code(client, residents, name: str) -> str:
    headers = residents.bound_headers(residents.create(name=name, id_number=residents.id_number()))
    response = client.post("/api/v1/me/credit-code", json={"scope": "basic"}, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()["token"]

_STORE = Prepared(lambda: insert(SettingValue.__table__).values(
    placeholders(SettingValue.__table__, ("key", "value", "updated_at"))))
_READ = Prepared(lambda: select(SettingValue.__table__.c.value).where(SettingValue.__table__.c.key == bindparam("key")))


def test_a_prepared_write_is_undone_with_the_sessions_transaction(app):
    _STORE.execute(key="credit_code.ttl_seconds", value=90, updated_at=utcnow())
    assert _READ.execute(key="credit_code.ttl_seconds").scalar_one() == 90
    db.session.rollback()
    assert db.session.scalar(select(SettingValue).where(SettingValue.key == "credit_code.ttl_seconds")) is None


def test_a_prepared_write_is_kept_by_the_sessions_commit(app):
    _STORE.execute(key="credit_code.ttl_seconds", value=90, updated_at=utcnow())
    db.session.commit()
    db.session.remove()
    assert db.session.get(SettingValue, "credit_code.ttl_seconds").value == 90


def test_a_prepared_read_sees_what_the_session_has_pending(app):
    db.session.add(SettingValue(key="credit_code.ttl_seconds", value=45))
    assert _READ.execute(key="credit_code.ttl_seconds").scalar_one() == 45


def test_a_prepared_statement_is_built_once(app):
    built = []

    def build():
        built.append(1)
        return select(SettingValue.__table__.c.value).where(SettingValue.__table__.c.key == bindparam("key"))

    statement = Prepared(build)
    for _ in range(3):
        statement.execute(key="nothing").first()
    assert built == [1]


def test_the_query_record_row_has_exactly_the_columns_the_verification_writes(app):
    actor = Principal(kind="apikey", id=1, roles=frozenset({"verifier_system"}), name="bank")
    row = query_records.row(1, actor, purpose="loan", scope="basic", actor_label="江阴农商银行")
    assert tuple(row) == query_records.ROW_COLUMNS
    written = {column.name for column in QueryRecord.__table__.columns} - {"id"}
    assert set(query_records.ROW_COLUMNS) == written


def test_a_verification_is_written_with_every_column_of_its_answer(client, residents, verifiers):
    """The verification and its query record are written by one prepared statement: every value the rules
    decided is in the stored rows, the columns a later step fills (claims, reversals) stay empty."""
    shop = verifiers.create("merchant", name="惠民超市")
    now = utcnow()
    offer = verifiers_service.create_offer(None, shop.id, title="九折", description="凭信用码享受", min_stars=1,
                                           valid_from=now - timedelta(days=1), valid_to=now + timedelta(days=30),
                                           quota_per_resident=2)
    headers = verifiers.operator_headers(shop, "cashier")
    token = code(client, residents, "张伟")
    db.session.rollback()
    answer = client.post(VERIFY, json={"token": token, "purpose": "discount", "offer_id": offer.id},
                         headers=headers)
    assert answer.status_code == 200, answer.get_json()
    stored = db.session.get(Verification, answer.get_json()["verification_id"])
    resident_id = open_subject_of(token)
    assert (stored.resident_id, stored.verifier_id, stored.offer_id, stored.redeemed, stored.purpose,
            stored.scope) == (resident_id, shop.id, offer.id, True, "discount", "basic")
    assert stored.operator_id is not None and stored.api_key_id is None
    assert stored.stars == answer.get_json()["stars"]
    assert abs(stored.at - utcnow()) < timedelta(minutes=1)
    assert (stored.claim_no, stored.poster_id, stored.reversed_at, stored.reversed_by) == (None, None, None, None)
    assert set(codes.VERIFICATION_COLUMNS) <= {column.name for column in Verification.__table__.columns}
    record = db.session.scalar(select(QueryRecord).where(QueryRecord.resident_id == resident_id))
    assert (record.actor_kind, record.purpose, record.scope, record.actor_label) == (
        "wechat", "discount", "basic", "惠民超市")


def open_subject_of(token: str) -> int:
    import jwt

    return codes.open_subject(jwt.decode(token, options={"verify_signature": False})["sub"])


@pytest.mark.parametrize("status", ["suspended", "black_listed"])
def test_the_principal_is_read_live_on_every_request(client, residents, verifiers, status):
    """Built once, read every time: a verifier suspended or black-listed between two scans refuses the second."""
    shop = verifiers.create("merchant", name="惠民超市")
    headers = verifiers.operator_headers(shop, "cashier")
    first = client.post(VERIFY, json={"token": code(client, residents, "张伟"), "purpose": "discount"},
                        headers=headers)
    assert first.status_code == 200, first.get_json()
    verifier = db.session.get(type(shop), shop.id)
    if status == "suspended":
        verifier.status = "suspended"
    else:
        verifier.black_listed = True
    db.session.commit()
    second = client.post(VERIFY, json={"token": code(client, residents, "李娜"), "purpose": "discount"},
                         headers=headers)
    assert second.status_code == 403
    assert second.get_json()["reason"] == "verifier_suspended"
    assert db.session.scalar(select(func.count()).select_from(Verification)) == 1
    assert db.session.scalar(select(func.count()).select_from(QueryRecord)) == 1
