#!/usr/bin/python3
"""Writes the .xlsx workbooks of tests/io/xlsx_test.cc (and the xlsx fuzzer's seeds).

Run with Debian's python3 (python3-openpyxl): /usr/bin/python3 tests/io/xlsx/make_fixtures.py
The realistic workbooks come from openpyxl, an independent writer; the malformed ones are zips
written part by part, to hold exactly the fault each test names.
"""
import datetime
import os
import zipfile

import openpyxl
from openpyxl.utils.datetime import CALENDAR_MAC_1904

HERE = os.path.dirname(os.path.abspath(__file__))


def labels(date, count=96):
    """KEPCO's labels of a day: 00:15 .. 24:00."""
    out = []
    for k in range(1, count + 1):
        m = 15 * k
        out.append(f"{date} {m // 60:02d}:{m % 60:02d}")
    return out


def kepco_text():
    # KEPCO's download as a screen export saves it: a title row, the four columns, the labels as
    # text (24:00 cannot be a date cell), then a second sheet.
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "15분 사용량"
    ws.append(["한전ON 15분 전력사용량"])
    ws.append(["계기번호", "고객번호", "검침일", "순방향 유효전력량(KWH)"])
    for k, label in enumerate(labels("2024-03-05"), start=1):
        ws.append(["55-282007100", 196705100, label, k * 1.25])
    wb.create_sheet("요약").append(["합계", 5820])
    wb.save(os.path.join(HERE, "kepco-text.xlsx"))


def dates(name, epoch=None):
    # Date-time cells (numbers with a date format), in the 1900 or the 1904 date system.
    wb = openpyxl.Workbook()
    if epoch is not None:
        wb.epoch = epoch
    ws = wb.active
    ws.append(["검침일시", "사용량(kWh)"])
    base = datetime.datetime(2024, 3, 5)
    for k in range(1, 97):
        ws.append([base + datetime.timedelta(minutes=15 * k), k])
    for row in ws.iter_rows(min_row=2, max_col=1):
        row[0].number_format = "yyyy-mm-dd hh:mm"
    wb.save(os.path.join(HERE, name))


CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="xml" ContentType="application/xml"/></Types>'
)
WORKBOOK = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<x:workbook xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
    'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
    '<x:sheets><x:sheet name="Data" sheetId="1" r:id="rId7"/></x:sheets></x:workbook>'
)
RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId7" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="/xl/worksheets/data.xml"/></Relationships>'
)
NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'


def raw(name, sheet, strings=None, workbook=WORKBOOK, extra=None, compress=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(os.path.join(HERE, name), "w", compress) as z:
        z.writestr("[Content_Types].xml", CONTENT_TYPES)
        z.writestr("xl/workbook.xml", workbook)
        z.writestr("xl/_rels/workbook.xml.rels", RELS)
        if strings is not None:
            z.writestr("xl/sharedStrings.xml", strings)
        z.writestr("xl/worksheets/data.xml", sheet)
        for part, text in (extra or {}).items():
            z.writestr(part, text)


def crafted():
    # What writers other than Excel produce: prefixed names, an absolute relationship target,
    # rich text with a phonetic run, inline strings, a formula's cached value, a boolean, cells
    # without r= and a sparse row.
    strings = (
        f'<sst {NS} count="2" uniqueCount="2">'
        "<si><t>검침일</t></si>"
        "<si><r><t>사용</t></r><r><t>량</t></r><rPh sb=\"0\" eb=\"2\"><t>PHONETIC</t></rPh></si>"
        "</sst>"
    )
    sheet = (
        f'<worksheet {NS}><sheetData>'
        '<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
        '<row r="2"><c t="inlineStr"><is><t>2024-03-05 00:15</t></is></c><c><f>1+1</f><v>2</v></c></row>'
        '<row r="4"><c r="A4" t="str"><v>2024-03-05 00:30</v></c><c r="D4" t="b"><v>1</v></c>'
        '<c r="B4"><v>3.5E0</v></c></row>'
        "</sheetData></worksheet>"
    )
    raw("crafted.xlsx", sheet, strings)


def malformed():
    # A zip bomb: 4 MiB of spaces in the sheet, deflated to a few KiB (the test's bound is 1 MiB).
    raw("bomb.xlsx", f"<worksheet {NS}><sheetData>" + " " * (4 << 20) + "</sheetData></worksheet>")
    # A cell beyond column XFD (16,384).
    raw("wide.xlsx", f'<worksheet {NS}><sheetData><row r="1"><c r="XFE1"><v>1</v></c></row></sheetData></worksheet>')
    # 2,000 rows of one cell each at column XFD: few cells, but 32.8 million held with the empty
    # ones before them (the bound is 10 million).
    rows = "".join(f'<row r="{r}"><c r="XFD{r}"><v>1</v></c></row>' for r in range(1, 2001))
    raw("far-cells.xlsx", f"<worksheet {NS}><sheetData>" + rows + "</sheetData></worksheet>")
    # A DTD with an entity (the billion-laughs shape, one level).
    raw(
        "dtd.xlsx",
        '<?xml version="1.0"?><!DOCTYPE worksheet [<!ENTITY a "aaaaaaaaaa">]>'
        f'<worksheet {NS}><sheetData><row r="1"><c t="inlineStr"><is><t>&a;</t></is></c></row></sheetData></worksheet>',
    )
    # A shared string that does not exist.
    raw(
        "bad-string.xlsx",
        f'<worksheet {NS}><sheetData><row r="1"><c r="A1" t="s"><v>5</v></c></row></sheetData></worksheet>',
        f'<sst {NS}><si><t>only</t></si></sst>',
    )
    # Broken XML in the sheet.
    raw("broken.xlsx", f'<worksheet {NS}><sheetData><row r="1"><c r="A1"><v>1</v></row></sheetData></worksheet>')
    # An OpenDocument spreadsheet is a zip too, without xl/workbook.xml.
    with zipfile.ZipFile(os.path.join(HERE, "spreadsheet.ods"), "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("content.xml", "<office:document-content/>")


if __name__ == "__main__":
    kepco_text()
    dates("dates.xlsx")
    dates("dates-1904.xlsx", CALENDAR_MAC_1904)
    crafted()
    malformed()
