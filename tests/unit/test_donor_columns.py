"""A donation file's donor columns (language, ID number, address, phone): read under their
names or their usual headers, checked, and no part of a gift."""

from __future__ import annotations

from pathlib import Path

import pytest

from fundledger.adapters.donation_csv import DonationFile, RowProblem, parse_mapping
from fundledger.adapters.donor_columns import DETAIL_FIELDS, HEADER_ALIASES, detail_problem
from fundledger.services.donor_details import OfferedDetails, revision_reason, same_detail

GIFTS = "date,amount,currency,donor,email,method,reference,note"


def batches(path: Path, **options: object) -> tuple[list[dict[str, list[str]]], list[str]]:
    source = DonationFile(path, home_currency="ILS", **options)  # type: ignore[arg-type]
    details, problems = [], []
    for batch in source.batches(size=2):
        details.append(batch.details)
        problems.extend(problem.describe(path.name) for problem in batch.problems)
    return details, problems


def references(path: Path) -> list[str]:
    source = DonationFile(path, home_currency="ILS")
    return [reference for batch in source.batches() for reference in batch.references]


@pytest.mark.parametrize(
    ("field", "text", "kept"),
    [
        ("tax_id", "034567891", "034567891"),
        ("tax_id", "34567891", "034567891"),  # a spreadsheet dropped its leading zero
        ("tax_id", "03456789-1", "034567891"),
        ("tax_id", "", ""),
        ("language", "עברית", "he"),
        ("language", "ar-IL", "ar"),
        ("address", "רחוב הרצל 12,\nחיפה", "רחוב הרצל 12,\nחיפה"),  # a quoted field's lines
        ("phone", "+972 50-123-4567", "+972 50-123-4567"),
        ("phone", "5" * 32, "5" * 32),
    ],
)
def test_details_are_kept_in_the_ledgers_form(field: str, text: str, kept: str) -> None:
    assert detail_problem(field, text) == (kept, None)


@pytest.mark.parametrize(
    ("field", "text", "problem"),
    [
        ("tax_id", "034567892", "'034567892' is not an Israeli identity number: nine digits "
                                "whose last is the check digit"),
        ("tax_id", "1234", "'1234' is not an Israeli identity number"),
        ("tax_id", "000000000", "is not an Israeli identity number"),
        ("tax_id", "٠٣٤٥٦٧٨٩١", "is not an Israeli identity number"),  # Arabic-Indic digits
        ("language", "klingon", "'klingon' is not a language documents are written in"),
        ("phone", "5" * 33, "longer than 32 characters"),
        ("phone", "050\n1234567", "holds the control character U+000A"),
        ("address", "Herzl\x0012", "holds the control character U+0000"),
    ],
)  # fmt: skip
def test_bad_details_are_refused(field: str, text: str, problem: str) -> None:
    kept, found = detail_problem(field, text)
    assert kept == ""
    assert found is not None
    assert problem in found


def test_usual_headers_are_read_as_the_donors_details(tmp_path: Path) -> None:
    path = tmp_path / "crm.csv"
    path.write_text(f"{GIFTS},ת.ז.,العنوان,Phone,שפה\n"
                    "2025-07-03,40,ILS,Noa Levi,,,,,34567891,شارع يافا 80,050-1234567,Hebrew\n"
                    "2025-07-03,50,ILS,Ali Nasser,,,,,,,,\n",
                    encoding="utf-8")  # fmt: skip
    details, problems = batches(path)
    assert problems == []
    assert details == [{"language": ["he", ""], "tax_id": ["034567891", ""],
                        "address": ["شارع يافا 80", ""], "phone": ["050-1234567", ""]}]  # fmt: skip
    for header in ("ID number", "מספר זהות", "رقم الهوية", "Address", "כתובת", "טלפון", "هاتف"):
        assert HEADER_ALIASES.get(header.lower(), header.lower()) in DETAIL_FIELDS, header


def test_an_ignored_or_mapped_header_is_not_read_as_a_detail(tmp_path: Path) -> None:
    path = tmp_path / "form.csv"
    path.write_text("date,amount,donor,Telephone,כתובת\n2025-07-03,40,Noa,050-1234567,Herzl 12\n",
                    encoding="utf-8")  # fmt: skip
    source = DonationFile(path, home_currency="ILS", mapping=parse_mapping(("כתובת=note",)))
    source.ignore = frozenset({"telephone"})
    [batch] = list(source.batches())
    assert batch.details == {}
    assert batch.notes == ["Herzl 12"]


def test_a_bad_detail_is_a_problem_of_its_line_and_field_once(tmp_path: Path) -> None:
    path = tmp_path / "gifts.csv"
    path.write_text("date,amount,donor,ID number,phone\n"
                    "2025-07-03,40,Noa,034567891,050\n"
                    "2025-07-03,40,Ali,034567892,050\n"
                    "2025-07-03,nope,Ali,034567892,050\n"  # a bad amount first: one problem
                    f"2025-07-03,40,Rami,,{'5' * 40}\n"
                    "2025-07-03,40,Dana,034567892,050\n",  # the same bad text, remembered
                    encoding="utf-8")  # fmt: skip
    details, problems = batches(path)
    assert [problem.split(": ", 2)[:2] for problem in problems] == [
        ["gifts.csv:3", "tax_id"], ["gifts.csv:4", "amount"], ["gifts.csv:5", "phone"],
        ["gifts.csv:6", "tax_id"]]  # fmt: skip
    assert [batch["tax_id"] for batch in details] == [["034567891"], [], []]
    assert RowProblem(3, "tax_id", "x").describe("gifts.csv") == "gifts.csv:3: tax_id: x"


def test_details_are_no_part_of_a_gifts_content_key(tmp_path: Path) -> None:
    plain = tmp_path / "plain.csv"
    plain.write_text(f"{GIFTS}\n2025-07-03,40,ILS,Noa Levi,noa@example.org,card,,table 1\n"
                     "2025-07-03,40,ILS,Noa Levi,noa@example.org,card,,table 1\n",
                     encoding="utf-8")  # fmt: skip
    detailed = tmp_path / "detailed.csv"
    detailed.write_text(f"{GIFTS},tax_id,address,phone,language\n"
                        "2025-07-03,40,ILS,Noa Levi,noa@example.org,card,,table 1,034567891,"
                        "Herzl 12,050-1234567,he\n"
                        "2025-07-03,40,ILS,Noa Levi,noa@example.org,card,,table 1,,,,\n",
                        encoding="utf-8")  # fmt: skip
    assert references(plain) == references(detailed)
    assert all(reference.startswith("gift:") for reference in references(plain))


def test_offered_details_go_to_each_rows_donor_in_order_each_once() -> None:
    offered = OfferedDetails()
    assert not offered
    offered.add({"phone": ["050-1234567", "0501234567", "052-7654321", "03-5555555"],
                 "tax_id": ["", "034567891", "", "204681357"]},
                [1, 1, 1, None])  # fmt: skip
    assert offered.by_donor == {1: {"phone": ["050-1234567", "052-7654321"],
                                    "tax_id": ["034567891"]}}  # fmt: skip


def test_the_same_detail_written_otherwise_is_the_same() -> None:
    assert same_detail("phone", "+972-50-123 4567", "+972501234567")
    assert not same_detail("phone", "050-1234567", "052-1234567")
    assert same_detail("address", "Herzl  12,\nHaifa", "herzl 12, haifa")
    assert not same_detail("tax_id", "034567891", "204681357")


def test_a_revisions_reason_names_its_columns_and_file() -> None:
    assert revision_reason(["language"], "gifts.csv") == "the language column of gifts.csv"
    assert revision_reason(["phone", "tax_id", "address"], "x.csv") == (
        "the ID number, address and phone columns of x.csv")  # fmt: skip
    assert revision_reason(["phone", "language"], "x.csv") == (
        "the language and phone columns of x.csv")  # fmt: skip
