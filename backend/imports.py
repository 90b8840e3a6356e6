"""Reading bulk files (CSV with a header row, or NDJSON) into numbered rows, for every import endpoint.

A line that cannot be read becomes an error of its own; the rest are still read.
"""

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass

CSV_TYPES = ("text/csv", "application/csv")
NDJSON_TYPES = ("application/x-ndjson", "application/ndjson", "application/jsonl")


class UnsupportedFormat(ValueError):
    """The body is neither CSV nor NDJSON."""


@dataclass
class Row:
    line: int
    fields: dict | None
    error: str | None = None


def detect_format(content_type: str | None, filename: str | None = None) -> str:
    kind = (content_type or "").split(";")[0].strip().lower()
    if kind in CSV_TYPES or (filename or "").lower().endswith(".csv"):
        return "csv"
    if kind in NDJSON_TYPES or (filename or "").lower().endswith((".ndjson", ".jsonl")):
        return "ndjson"
    raise UnsupportedFormat("send text/csv (with a header row) or application/x-ndjson")


def read_rows(data: bytes, file_format: str) -> Iterator[Row]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnsupportedFormat("the file must be UTF-8 text") from exc
    yield from (_csv_rows(text) if file_format == "csv" else _ndjson_rows(text))


def _csv_rows(text: str) -> Iterator[Row]:
    # newline="" as the csv module requires: a bare \r is then a line break, not a "new-line character
    # seen in unquoted field" error.
    reader = csv.reader(io.StringIO(text, newline=""))
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


def _ndjson_rows(text: str) -> Iterator[Row]:
    for line, raw in enumerate(text.splitlines(), start=1):
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
