#!/usr/bin/python3
"""Prints an .xlsx workbook as JSON, read by openpyxl (an independent reader), for the --xlsx tests.

{"sheets": {name: {"values": [[cell, ...], ...], "formulas": {"G14": "=SUM(G2:G13)", ...}}}}
Values are the cached ones (data_only), date-times as "YYYY-MM-DD HH:MM".
Usage: /usr/bin/python3 tests/app/xlsx_dump.py FILE.xlsx
"""
import datetime
import json
import sys

import openpyxl


def cell(v):
    if isinstance(v, datetime.datetime):
        return v.strftime("%Y-%m-%d %H:%M")
    return v


values = openpyxl.load_workbook(sys.argv[1], data_only=True)
formulas = openpyxl.load_workbook(sys.argv[1])
out = {"sheets": {}}
for ws in values:
    f = formulas[ws.title]
    out["sheets"][ws.title] = {
        "values": [[cell(c) for c in row] for row in ws.iter_rows(values_only=True)],
        "formulas": {
            c.coordinate: c.value for row in f.iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith("=")
        },
    }
json.dump(out, sys.stdout, ensure_ascii=False)
