"""Reading bulk files (CSV with a header row, or NDJSON) into numbered rows, for every import endpoint.

A line that cannot be read becomes an error of its own; the rest are still read.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from flask import request

from backend.i18n import _
from backend.web.bodies import undecodable_fields
from backend.web.errors import InvalidInput, UnsupportedMediaType

CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")
NOT_UTF8 = _("the file must be UTF-8 text")


class UnsupportedFormat(ValueError):
    """The body is neither CSV nor NDJSON."""


class ColumnsMissing(InvalidInput):
    reason = "columns_missing"


class Row(NamedTuple):
    line: int
    fields: dict | None
    error: str | None = None


def request_body(description: str, columns: Iterable[str]) -> dict:
    """The OpenAPI request body of an import endpoint: the file itself, or a multipart upload. The CSV
    example is the header a file must start with (``columns``, the required ones)."""
    return {
        "required": True,
        "description": "The file itself (CSV with a header row, or NDJSON), or a multipart upload with field "
                       f"`file`. {description}",
        "content": {
            "text/csv": {"schema": {"type": "string"}, "example": ",".join(columns) + "\n"},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "multipart/form-data": {
                "schema": {"type": "object", "required": ["file"],
                           "properties": {"file": {"type": "string", "format": "binary"}}},
                # The file part is told CSV or NDJSON by its type (or by a name ending .csv/.ndjson/.jsonl).
                "encoding": {"file": {"contentType": ", ".join(CSV_TYPES[:1] + NDJSON_TYPES[:1])}},
            },
        },
    }


def detect_format(content_type: str | None, filename: str | None = None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES or (filename or "").lower().endswith(".csv"):
        return "csv"
    if kind in NDJSON_TYPES or (filename or "").lower().endswith((".ndjson", ".jsonl")):
        return "ndjson"
    raise UnsupportedFormat(_("send text/csv (with a header row) or application/x-ndjson"))


def read_rows(data: bytes | BinaryIO, file_format: str, columns: Iterable[str] = ()) -> Iterator[Row]:
    """The rows of a whole file (decoded at once), or of a stream (decoded as it is read, so a body of
    hundreds of megabytes never sits in memory; a decoding error then surfaces while rows are read).

    A CSV header must name ``columns`` (each a name, or a tuple of names any one of which will do): that is
    checked at once, before any row is read, so a body that
    is no such file at all (``1``) is refused (422 ``columns_missing``) rather than read as no rows."""
    csv_file = file_format == "csv"
    if isinstance(data, bytes | bytearray):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnsupportedFormat(NOT_UTF8) from exc
        return _csv_rows(io.StringIO(text, newline=""), columns) if csv_file else _ndjson_rows(text.splitlines())
    # newline="" as the csv module requires: a bare \r is then a line break, not a "new-line character
    # seen in unquoted field" error.
    stream = io.TextIOWrapper(data, encoding="utf-8-sig", newline="" if csv_file else None)
    try:
        rows = _csv_rows(stream, columns) if csv_file else _ndjson_rows(stream)
    except UnicodeDecodeError as exc:
        stream.detach()
        raise UnsupportedFormat(NOT_UTF8) from exc
    except Exception:
        stream.detach()
        raise
    return _detached_at_end(stream, rows)


def _detached_at_end(stream: io.TextIOWrapper, rows: Iterator[Row]) -> Iterator[Row]:
    # Detached, not closed: the request's own stream is the server's to close. A decoding error this far
    # in ends the import (the service's transaction with it), as the whole file's would have.
    try:
        yield from rows
    except UnicodeDecodeError as exc:
        raise UnsupportedMediaType(NOT_UTF8) from exc
    finally:
        stream.detach()


def uploaded_rows(columns: Iterable[str] = (), *, stream: bool = False) -> Iterator[Row]:
    """The rows of an import request: the body itself, or the multipart field ``file`` (CSV or NDJSON by
    content type, or by the file's name). ``columns`` are the ones a CSV header must name; ``stream``
    reads the rows as they arrive."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput(_("send the file in the multipart field 'file'"), field="file")
        content_type, filename = upload.mimetype, upload.filename
        data = upload.stream if stream else upload.read()
    else:
        content_type, filename = request.mimetype, None
        data = None
    try:
        file_format = detect_format(content_type, filename)
        if data is None:
            data = request.stream if stream else request.get_data()
        return read_rows(data, file_format, columns)
    except UnsupportedFormat as exc:
        raise UnsupportedMediaType(str(exc)) from exc


def _csv_rows(text: Iterable[str], columns: Iterable[str]) -> Iterator[Row]:
    """Reads the header at once (to check it), the rows as they are asked for."""
    reader = csv.reader(text)
    try:
        header = [name.strip().lower() for name in next(reader, [])]
    except csv.Error:
        header = []
    missing = [column if isinstance(column, str) else " / ".join(column)
               for column in columns if not _named(header, column)]
    if missing:
        raise ColumnsMissing(str(_("the first line must be a header naming the columns; missing: %(columns)s",
                                   columns=", ".join(missing))), field="file")
    return _csv_records(reader, header)


def _named(header: list[str], column: str | tuple[str, ...]) -> bool:
    """Whether the header names ``column``: a name, or a tuple of names of which any one will do (a
    field that files may give under our name or a national standard's code)."""
    return any(name in header for name in ((column,) if isinstance(column, str) else column))


def _csv_records(reader, header: list[str]) -> Iterator[Row]:
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            # The csv module gives up on the line (in practice: a field over its size limit) and goes on
            # with the next one. Inside a quoted field that spans lines, what follows may be misread:
            # those lines are reported by line like any other.
            yield Row(reader.line_num, None, _csv_problem(exc))
            continue
        line = reader.line_num
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield Row(line, None, str(_("expected %(expected)s columns, found %(found)s",
                                        expected=len(header), found=len(values))))
            continue
        yield Row(line, {name: value.strip() for name, value in zip(header, values, strict=True)})


def _csv_problem(error: csv.Error) -> str:
    if "field larger than field limit" in str(error):
        return str(_("a field is longer than %(limit)s characters", limit=csv.field_size_limit()))
    return str(_("this line cannot be read as CSV: %(problem)s", problem=str(error)))


def _ndjson_rows(lines: Iterable[str]) -> Iterator[Row]:
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            yield Row(line, None, str(_("not valid JSON")))
            continue
        if not isinstance(value, dict):
            yield Row(line, None, str(_("each line must be a JSON object")))
            continue
        undecodable = undecodable_fields(value)
        if undecodable:
            names = ", ".join(".".join(str(part) for part in path) for path in undecodable)
            yield Row(line, None, str(_("not valid Unicode text (a lone surrogate) in: %(fields)s", fields=names)))
            continue
        yield Row(line, {str(k).lower(): (v.strip() if isinstance(v, str) else v) for k, v in value.items()})
