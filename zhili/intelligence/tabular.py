"""Reading work orders exported from hotline systems: CSV in UTF-8 (with or without BOM) or GBK.

Errors are ``InputError`` with a message a clerk can act on (which column, which rows); the
commands turn them into exit code 2.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from zhili.intelligence.textclf import Doc, make_doc


class InputError(Exception):
    """Bad input data: the message says what and where."""


@dataclass
class Table:
    path: str
    encoding: str
    columns: list[str]
    rows: list[dict[str, str]]
    lines: list[int]  # the file line each row starts on (the header is line 1)

    def require(self, names: Sequence[str]) -> None:
        missing = [n for n in names if n not in self.columns]
        if missing:
            raise InputError(
                f"{self.path}: no column {', '.join(repr(m) for m in missing)}; "
                f"available columns: {', '.join(self.columns)}"
            )

    def docs(self, text_cols: Sequence[str]) -> list[Doc]:
        """With several text columns the first is the title, the rest are joined as the body."""
        self.require(text_cols)
        if len(text_cols) == 1:
            return [make_doc("", r[text_cols[0]]) for r in self.rows]
        first, rest = text_cols[0], text_cols[1:]
        return [make_doc(r[first], " ".join(r[c] for c in rest)) for r in self.rows]

    def labels(self, label_col: str) -> list[str]:
        self.require([label_col])
        values = [r[label_col].strip() for r in self.rows]
        empty = [self.lines[i] for i, v in enumerate(values) if not v]
        if empty:
            shown = ", ".join(str(n) for n in empty[:20]) + (" …" if len(empty) > 20 else "")
            raise InputError(
                f"{self.path}: {len(empty)} row(s) with an empty label in column {label_col!r}, "
                f"at line(s) {shown}"
            )
        return values

    def column(self, name: str) -> list[str]:
        self.require([name])
        return [r[name] for r in self.rows]


def decode(raw: bytes) -> tuple[str, str]:
    """UTF-8 (BOM or not) first, then GB18030 (a superset of GBK and GB2312)."""
    if raw.startswith(b"\xef\xbb\xbf"):
        return raw[3:].decode("utf-8"), "utf-8-sig"
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gbk"
    except UnicodeDecodeError:
        raise InputError("the file is neither UTF-8 nor GBK text") from None


def read_csv(path: str | Path) -> Table:
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file ({exc.strerror})") from None
    try:
        text, encoding = decode(raw)
    except InputError as exc:
        raise InputError(f"{path}: {exc}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise InputError(f"{path}: the file is empty") from None
    columns = [h.strip() for h in header]
    rows: list[dict[str, str]] = []
    lines: list[int] = []
    start = reader.line_num + 1
    try:
        for record in reader:
            if any(cell.strip() for cell in record):
                padded = [*record, *[""] * (len(columns) - len(record))]
                rows.append(dict(zip(columns, padded, strict=False)))
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise InputError(f"{path}: line {reader.line_num}: {exc}") from None
    if not rows:
        raise InputError(f"{path}: no data rows")
    return Table(str(path), encoding, columns, rows, lines)


def read_catalogue(path: str | Path) -> list[list[str]]:
    """A category catalogue: first column the label, the other columns names under it."""
    table = read_csv(path)
    return [[r[c] for c in table.columns] for r in table.rows]
