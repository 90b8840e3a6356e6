"""The feed to the city's public credit platform (信用信息上报, SPEC §7): the disclosures changed since a
time, in the national standard's codes and units (money in 万元, dates YYYY/MM/DD, the standard's words
for categories and states), as CSV or NDJSON, written row by row from a server-side cursor so that a
million records never sit in memory.

It carries what the public may see and nothing more: a natural person's name masked and no ID number, an
individual business's operator masked. Our own columns travel beside the codes: ``type``, ``severity``
(the standard has none), ``status`` (a voided or repaired record tells the platform to stop showing it)
and ``updated_at``. The file imports as it is (the import reads codes and our names alike).
"""

import csv
import io
import json
from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select

from backend.data.extensions import db
from backend.dates.timeutil import as_local
from backend.public_credit import service
from backend.public_credit.models import Disclosure
from backend.public_credit.records import (
    CATEGORY_WORD,
    CODES,
    IN_TEN_THOUSANDS,
    LICENCE_CODES,
    PENALTY_CODES,
    STATE_CODE,
    TEN_THOUSAND,
)

BATCH = 1000
EXTRA = ("severity", "status", "updated_at")
# One CSV header for both kinds: the type, the licence codes, the penalty codes (BZ once), our columns.
CSV_COLUMNS = ("type", *dict.fromkeys([*LICENCE_CODES.values(), *PENALTY_CODES.values()]), *EXTRA)


def changes(since: datetime | None, until: datetime, kind: str | None = None):
    """Disclosures changed after ``since`` up to ``until``, oldest change first."""
    statement = (select(Disclosure).where(Disclosure.updated_at <= until)
                 .order_by(Disclosure.updated_at, Disclosure.id).execution_options(yield_per=BATCH))
    if since is not None:
        statement = statement.where(Disclosure.updated_at > since)
    if kind:
        statement = statement.where(Disclosure.type == kind)
    return statement


def in_ten_thousands(amount: Decimal | None) -> str | None:
    """Yuan as the standard's 万元, exact (5000.00 yuan → 0.5)."""
    if amount is None:
        return None
    text = format((amount / TEN_THOUSAND).normalize(), "f")
    return text


def standard_record(disclosure: Disclosure) -> dict:
    """One disclosure under the standard's codes (values as text, None where empty)."""
    values = {
        "decision_no": disclosure.decision_no,
        "document_name": disclosure.document_name,
        "subject_name": disclosure.subject_name,
        "subject_category": CATEGORY_WORD[disclosure.subject_category],
        "subject_uscc": disclosure.subject_uscc,
        "legal_representative": service.shown_representative(disclosure.subject_category,
                                                              disclosure.legal_representative_sealed),
        "licence_category": disclosure.licence_category,
        "certificate_name": disclosure.certificate_name,
        "licence_no": disclosure.licence_no,
        "content": disclosure.content,
        "decided_on": disclosure.decided_on,
        "valid_from": disclosure.valid_from,
        "valid_to": disclosure.valid_to,
        "state": STATE_CODE.get(disclosure.state),
        "violation_type": disclosure.violation_type,
        "facts": service.opened("facts", disclosure.facts_sealed),
        "legal_basis": disclosure.legal_basis,
        "penalty_category": disclosure.penalty_category,
        "fine_amount": disclosure.fine_amount,
        "confiscated_amount": disclosure.confiscated_amount,
        "licence_suspended_or_revoked": disclosure.licence_suspended_or_revoked,
        "valid_until": disclosure.valid_until,
        "disclosed_until": disclosure.disclosed_until,
        "authority": disclosure.authority,
        "authority_uscc": disclosure.authority_uscc,
        "data_source": disclosure.data_source,
        "data_source_uscc": disclosure.data_source_uscc,
        "remarks": service.opened("remarks", disclosure.remarks_sealed),
    }
    record = {"type": disclosure.type}
    for name, code in CODES[disclosure.type].items():
        value = values[name]
        if name in IN_TEN_THOUSANDS:
            value = in_ten_thousands(value)
        elif hasattr(value, "strftime"):
            value = value.strftime("%Y/%m/%d")
        record[code] = value
    record["severity"] = disclosure.severity
    record["status"] = disclosure.status
    record["updated_at"] = as_local(disclosure.updated_at).isoformat()
    return record


def csv_lines(statement) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="raise", lineterminator="\n")
    writer.writeheader()
    for count, disclosure in enumerate(db.session.scalars(statement), start=1):
        writer.writerow(standard_record(disclosure))
        if count % BATCH == 0:
            yield _drain(buffer)
    yield _drain(buffer)


def ndjson_lines(statement) -> Iterator[str]:
    lines = []
    for disclosure in db.session.scalars(statement):
        record = {key: value for key, value in standard_record(disclosure).items() if value is not None}
        lines.append(json.dumps(record, ensure_ascii=False))
        if len(lines) == BATCH:
            yield "\n".join(lines) + "\n"
            lines = []
    if lines:
        yield "\n".join(lines) + "\n"


def _drain(buffer: io.StringIO) -> str:
    text = buffer.getvalue()
    buffer.seek(0)
    buffer.truncate()
    return text
