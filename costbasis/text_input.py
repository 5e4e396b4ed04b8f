"""CSV input files (price and label files) read as UTF-8 text, with every failure a one-line
error naming the file and line: a binary file (an executable, a Parquet file without the
.parquet suffix), a latin-1 export, a field beyond the csv module's size limit.

Lines are decoded one at a time rather than through a text-mode file, so the line number in a
decoding error is exact (a text-mode file decodes 8 KiB chunks ahead of the csv reader).
"""

from __future__ import annotations

import csv
from pathlib import Path

from costbasis.errors import CostbasisError


def _split_lines(fh):
    # bytes.splitlines also splits on a lone CR, so old Mac-style files keep working as in text mode
    for chunk in fh:
        yield from chunk.splitlines(keepends=True)


def _decoded_lines(path: Path, fh, state: dict):
    for n, raw in enumerate(_split_lines(fh), start=1):
        state["line"] = n
        if n == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # UTF-8 byte-order mark (Excel writes one)
        if b"\0" in raw:
            raise CostbasisError(f"{path}: line {n}: binary data (a NUL byte), not a CSV text file")
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise CostbasisError(
                f"{path}: line {n}: not UTF-8 text (byte 0x{raw[e.start]:02x} at column {e.start + 1}); "
                "save the file as UTF-8 CSV") from None


class CsvReader:
    """csv.reader over `path` decoded as strict UTF-8; iterate inside `with`. line_num as csv's."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._state = {"line": 0}

    def __enter__(self) -> "CsvReader":
        self._fh = self.path.open("rb")
        self._reader = csv.reader(_decoded_lines(self.path, self._fh, self._state))
        return self

    def __exit__(self, *exc) -> None:
        self._fh.close()

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self):
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as e:  # e.g. "field larger than field limit", an unterminated quote at EOF
            raise CostbasisError(f"{self.path}: line {self._state['line']}: {e}") from None
