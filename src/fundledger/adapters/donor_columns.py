"""The columns of a donation file that describe its donors, not its gifts: their language,
Israeli identity number, postal address and phone.

They are read and checked here, a column at a time, for `DonationFile`: each row's value in
the form the ledger keeps ("" for an empty cell), or a `RowProblem` naming its line and field.
They are no part of a gift (not of its content key either): a file imported before, saved
again with such a column, adds no gift and gives its donors these details
(services/donor_details.py).

Besides their own names (`tax_id`, `address`, `phone`, `language`), their usual headers in
English, Hebrew and Arabic are read as them (`HEADER_ALIASES`), unless `--ignore` names them.
"""

from __future__ import annotations

from fundledger.domain.donors import israeli_id, language_problem, preferred_language
from fundledger.domain.text import control_problem

DETAIL_FIELDS = ("language", "tax_id", "address", "phone")
# As long as the ledger keeps them (models.DonorRevision; an address is TEXT, unbounded).
PHONE_LIMIT = 32
MEMO_ENTRIES = 200_000

# Headers (lower case) read as a detail without a --map. Only the unmistakable ones: a file
# whose two columns both meet this list ("Phone" and "טלפון") is refused as any file with
# two columns for one field.
HEADER_ALIASES = {
    **dict.fromkeys(("id number", "identity number", "tax id", "ת.ז.", "ת.ז", 'ת"ז', "תז",
                     "מספר זהות", "תעודת זהות", "رقم الهوية"), "tax_id"),
    **dict.fromkeys(("כתובת", "العنوان", "عنوان"), "address"),
    **dict.fromkeys(("telephone", "phone number", "טלפון", "هاتف", "رقم الهاتف"), "phone"),
    **dict.fromkeys(("preferred language", "שפה", "اللغة"), "language"),
}  # fmt: skip

# How each detail is named to people (summaries, reasons of revisions).
LABELS = {"language": "language", "tax_id": "ID number", "address": "address", "phone": "phone"}


def detail_problem(field: str, text: str) -> tuple[str, str | None]:
    """A detail's value as kept ("" for an empty cell), and what is wrong with it (None when
    nothing is). An identity number is checked as `donor set-id` checks it, by its check
    digit, and kept as nine digits (leading zeros a spreadsheet dropped restored)."""
    if not text:
        return "", None
    if field == "language":
        code = preferred_language(text)
        return (code, None) if code else ("", language_problem(text))
    if field == "tax_id":
        number = israeli_id(text)
        return (number, None) if number else ("", (
            f"{text!r} is not an Israeli identity number: nine digits whose last is the check "
            "digit"))  # fmt: skip
    problem = control_problem(text, multiline=field == "address")
    if problem is None and field == "phone" and len(text) > PHONE_LIMIT:
        problem = f"longer than {PHONE_LIMIT} characters"
    return ("", problem) if problem else (text, None)


class DonorColumns:
    """Reads a file's donor columns batch after batch, remembering what each distinct text
    gave (a file repeats its donors' details on every gift of theirs)."""

    def __init__(self) -> None:
        self._known: dict[tuple[str, str], tuple[str, str | None]] = {}

    def read(
        self, texts: dict[str, list[str]], rejected: set[int]
    ) -> tuple[dict[str, list[str]], list[tuple[int, str, str]]]:
        """Each column of `texts` (by field) as the values kept, and the problems found as
        (row, field, message): one per row at most, none for a row in `rejected` (a line is
        reported once), which every row with a problem joins."""
        known = self._known
        read: dict[str, list[str]] = {}
        problems: list[tuple[int, str, str]] = []
        for field, column in texts.items():
            values = []
            for index, text in enumerate(column):
                found = known.get((field, text))
                if found is None:
                    found = detail_problem(field, text)
                    if len(known) < MEMO_ENTRIES:  # a bound on memory, whatever the file
                        known[field, text] = found
                value, problem = found
                if problem is not None and index not in rejected:
                    problems.append((index, field, problem))
                    rejected.add(index)
                values.append(value)
            read[field] = values
        return read, problems
