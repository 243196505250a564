"""The Tax Authority's "Israel Donations" numbers: what one looks like. Pure: no I/O."""

from __future__ import annotations

import re

from fundledger.domain.errors import FundledgerError

_REPORT_NUMBER = re.compile(r"[0-9A-Za-z/-]{1,32}")


def report_number(text: str) -> str:
    """A report number as the Authority gave it (digits and letters, / or -), trimmed."""
    number = text.strip()
    if not _REPORT_NUMBER.fullmatch(number):
        raise FundledgerError(f"{text!r} is not a report number: digits and letters (and / or "
                              "-), as the Tax Authority gave it")  # fmt: skip
    return number
