"""The fast sheet reader agrees with openpyxl on what Excel and WPS files hold."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime

import pytest
from openpyxl import Workbook

from zhili.residents.bench import xlsx_bytes
from zhili.residents.xlsx import SheetReader, WorkbookError, excel_date


def saved(book):
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_reads_strings_numbers_dates_and_gaps():
    book = Workbook()
    sheet = book.active
    sheet.append(["姓名", "出生日期", "数", "空", "布尔"])
    sheet.append(["张三 & <李四>", datetime(1949, 12, 31), 13812345678, None, True])
    sheet.append([])
    sheet.append(["王五"])
    reader = SheetReader(saved(book))
    rows = list(reader.rows())
    assert rows[0] == (1, ["姓名", "出生日期", "数", "空", "布尔"])
    number, cells = rows[1]
    assert number == 2 and cells[0] == "张三 & <李四>" and cells[2] == "13812345678" and cells[3] is None
    assert cells[4] == "TRUE"
    assert reader.excel_date(float(cells[1])) == date(1949, 12, 31)
    assert rows[2] == (4, ["王五"])  # the empty row is skipped, numbering kept


def test_reads_a_shared_string_workbook_and_its_dimension():
    content = xlsx_bytes(["a", "b"], [["x", "y"], ["", "z"]])
    reader = SheetReader(content)
    assert list(reader.rows()) == [(1, ["a", "b"]), (2, ["x", "y"]), (3, [None, "z"])]
    assert reader.declared_rows == 3


def test_excel_dates_in_both_systems():
    assert excel_date(1) == date(1900, 1, 1)
    assert excel_date(61) == date(1900, 3, 1)
    assert excel_date(45658) == date(2025, 1, 1)
    assert excel_date(0, date1904=True) == date(1904, 1, 1)


def test_refuses_what_is_not_a_workbook_and_dtds():
    with pytest.raises(WorkbookError):
        SheetReader(b"not a zip")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr(
            "xl/workbook.xml", '<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><workbook/>'
        )
    with pytest.raises(WorkbookError):
        SheetReader(out.getvalue())
