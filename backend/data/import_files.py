"""Reading bulk files (CSV with a header row, or NDJSON) into numbered rows, for every import endpoint.

A line that cannot be read becomes an error of its own; the rest are still read.
"""

import csv
import io
import json
from collections.abc import Iterable, Iterator
from typing import BinaryIO, NamedTuple

from flask import request

from backend.web.errors import DomainError, InvalidInput

CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


class UnsupportedFormat(ValueError):
    """The body is neither CSV nor NDJSON."""


class UnsupportedMediaType(DomainError):
    status = 415
    reason = "unsupported_media_type"


class Row(NamedTuple):
    line: int
    fields: dict | None
    error: str | None = None


def request_body(description: str) -> dict:
    """The OpenAPI request body of an import endpoint: the file itself, or a multipart upload."""
    return {
        "required": True,
        "description": "The file itself (CSV with a header row, or NDJSON), or a multipart upload with field "
                       f"`file`. {description}",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/x-ndjson": {"schema": {"type": "string"}},
            "multipart/form-data": {"schema": {"type": "object", "required": ["file"],
                                               "properties": {"file": {"type": "string", "format": "binary"}}}},
        },
    }


def detect_format(content_type: str | None, filename: str | None = None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES or (filename or "").lower().endswith(".csv"):
        return "csv"
    if kind in NDJSON_TYPES or (filename or "").lower().endswith((".ndjson", ".jsonl")):
        return "ndjson"
    raise UnsupportedFormat("send text/csv (with a header row) or application/x-ndjson")


def read_rows(data: bytes | BinaryIO, file_format: str) -> Iterator[Row]:
    """The rows of a whole file (decoded at once), or of a stream (decoded as it is read, so a body of
    hundreds of megabytes never sits in memory; a decoding error then surfaces while rows are read)."""
    if isinstance(data, bytes | bytearray):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise UnsupportedFormat("the file must be UTF-8 text") from exc
        yield from (_csv_rows(io.StringIO(text, newline="")) if file_format == "csv"
                    else _ndjson_rows(text.splitlines()))
        return
    # newline="" as the csv module requires: a bare \r is then a line break, not a "new-line character
    # seen in unquoted field" error.
    stream = io.TextIOWrapper(data, encoding="utf-8-sig", newline="" if file_format == "csv" else None)
    try:
        yield from (_csv_rows(stream) if file_format == "csv" else _ndjson_rows(stream))
    except UnicodeDecodeError as exc:
        raise UnsupportedFormat("the file must be UTF-8 text") from exc
    finally:
        stream.detach()


def uploaded_rows(*, stream: bool = False) -> Iterator[Row]:
    """The rows of an import request: the body itself, or the multipart field ``file`` (CSV or NDJSON by
    content type, or by the file's name). ``stream`` reads them as they arrive."""
    if request.mimetype == "multipart/form-data":
        upload = request.files.get("file")
        if upload is None:
            raise InvalidInput("send the file in the multipart field 'file'", field="file")
        content_type, filename = upload.mimetype, upload.filename
        data = upload.stream if stream else upload.read()
    else:
        content_type, filename = request.mimetype, None
        data = None
    try:
        file_format = detect_format(content_type, filename)
    except UnsupportedFormat as exc:
        raise UnsupportedMediaType(str(exc)) from exc
    if data is None:
        data = request.stream if stream else request.get_data()
    return read_rows(data, file_format)


def _csv_rows(text: Iterable[str]) -> Iterator[Row]:
    reader = csv.reader(text)
    header = None
    for values in reader:
        line = reader.line_num
        if header is None:
            header = [name.strip().lower() for name in values]
            continue
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield Row(line, None, f"expected {len(header)} columns, found {len(values)}")
            continue
        yield Row(line, {name: value.strip() for name, value in zip(header, values, strict=True)})


def _ndjson_rows(lines: Iterable[str]) -> Iterator[Row]:
    for line, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except json.JSONDecodeError:
            yield Row(line, None, "not valid JSON")
            continue
        if not isinstance(value, dict):
            yield Row(line, None, "each line must be a JSON object")
            continue
        yield Row(line, {str(k).lower(): (v.strip() if isinstance(v, str) else v) for k, v in value.items()})
