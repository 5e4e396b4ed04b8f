"""Reading an export as rows with their line numbers.

CSV (comma, semicolon or tab, sniffed from the header line) through text_input's strict UTF-8
line decoder, so a binary or latin-1 file is one line naming the line; JSON with the line each
top-level record starts on.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

from costbasis.errors import CostbasisError
from costbasis.text_input import _decoded_lines  # the exact-line UTF-8 decoder of the CSV imports


def is_json(path: Path) -> bool:
    with path.open("rb") as f:
        head = f.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head[:1] in (b"[", b"{")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in (",", "\t", ";")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


class Rows:
    """The non-blank rows of a CSV file as (line, cells); `header` is the first of them."""

    def __init__(self, path: Path):
        self.path = Path(path)
        state = {"line": 0}
        with self.path.open("rb") as fh:
            lines = list(_decoded_lines(self.path, fh, state))
        if not lines:
            raise CostbasisError(f"{self.path}: empty file")
        first = next((ln for ln in lines if ln.strip()), "")
        self.delimiter = _delimiter(first)
        self.rows: list[tuple[int, list[str]]] = []
        # csv.reader over the decoded lines: line_num counts physical lines, so a quoted field
        # spanning lines still reports the line where its row ends
        reader = csv.reader(lines, delimiter=self.delimiter)
        try:
            for row in reader:
                if row and any(c.strip() for c in row):
                    self.rows.append((reader.line_num, row))
        except csv.Error as e:
            raise CostbasisError(f"{self.path}: line {reader.line_num + 1}: {e}") from None
        if not self.rows:
            raise CostbasisError(f"{self.path}: empty file")

    @property
    def header(self) -> list[str]:
        return [c.strip() for c in self.rows[0][1]]

    def data(self):
        return iter(self.rows[1:])

    def where(self, line: int) -> str:
        return f"{self.path.name} line {line}"


def json_records(path: Path) -> tuple[list, list[int]]:
    """(records, line of each record): a top-level list, or the list under "data" (CoinGlass API
    responses `{"code": "0", "data": [...]}`)."""
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        raise CostbasisError(f"{path}: line {line}: not UTF-8 text") from None
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as e:
        raise CostbasisError(f"{path.name} line {e.lineno}: malformed JSON ({e.msg})") from None
    start = 0
    if isinstance(doc, dict):
        if not isinstance(doc.get("data"), list):
            raise CostbasisError(f"{path.name}: JSON object without a \"data\" list; expected a list of records")
        doc = doc["data"]
        start = text.find("[", text.find('"data"'))
    elif not isinstance(doc, list):
        raise CostbasisError(f"{path.name}: expected a JSON list of records")
    return doc, _record_lines(text, start, len(doc))


def _record_lines(text: str, start: int, n: int) -> list[int]:
    """Line on which each element of the JSON array at `start` begins (raw_decode element by element)."""
    dec = json.JSONDecoder()
    lines, i = [], text.index("[", start) + 1
    for _ in range(n):
        while text[i] in " \t\r\n,":
            i += 1
        lines.append(text.count("\n", 0, i) + 1)
        _, i = dec.raw_decode(text, i)
    return lines
