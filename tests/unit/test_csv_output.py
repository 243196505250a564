"""CSV written by fundledger never runs as a spreadsheet formula; numbers stay numbers."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from fundledger.reports.csv_output import spreadsheet_safe, write_csv


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("=SUM(A1:A9)", "'=SUM(A1:A9)"),
        ("+972-50-1234567", "'+972-50-1234567"),
        ("-2+3", "'-2+3"),
        ("@cmd", "'@cmd"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("-250.00", "-250.00"),
        ("+5", "+5"),
        ("Ali <b>Bold</b> & Co", "Ali <b>Bold</b> & Co"),
        ("שלום עליכם \u200f", "שלום עליכם \u200f"),
        (None, ""),
        (12, 12),
        (Decimal("-1.50"), Decimal("-1.50")),
        (True, True),
    ],
)
def test_cells_a_spreadsheet_would_run_are_kept_as_text(value: object, written: object) -> None:
    assert spreadsheet_safe(value) == written


def test_a_whole_file_reads_back_with_the_text_neutralised() -> None:
    buffer = io.StringIO()
    write_csv(buffer, [{"donor": "=HYPERLINK(\"x\")", "amount": "-99.99", "note": None}],
              ["donor", "amount", "note"])  # fmt: skip
    assert list(csv.reader(io.StringIO(buffer.getvalue()))) == [
        ["donor", "amount", "note"],
        ['\'=HYPERLINK("x")', "-99.99", ""],
    ]


def test_the_spreadsheet_flavour_marks_utf8_ends_lines_with_crlf_and_spells_booleans() -> None:
    rows = [{"donor": "عبد الله خوري", "amount": "1800.00", "anonymous": True},
            {"donor": "=cmd", "amount": "-99.99", "anonymous": False}]  # fmt: skip
    for_people, for_scripts = io.StringIO(), io.StringIO()
    write_csv(for_people, rows, ["donor", "amount", "anonymous"], excel=True)
    write_csv(for_scripts, rows, ["donor", "amount", "anonymous"])
    assert for_people.getvalue() == (
        "\ufeffdonor,amount,anonymous\r\nعبد الله خوري,1800.00,yes\r\n'=cmd,-99.99,no\r\n"
    )
    assert for_scripts.getvalue() == (
        "donor,amount,anonymous\nعبد الله خوري,1800.00,True\n'=cmd,-99.99,False\n"
    )
