"""Import profiles as typed (`import profile add`), merged with the command line, and the
small readers a platform's export needs: its time zones, its dates, and the evidence of which
way round a file writes DD/MM."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from fundledger.adapters.date_evidence import evidence
from fundledger.adapters.import_profiles import (
    BUILTIN,
    parse_profile,
    profile_from_json,
)
from fundledger.adapters.platforms import decimal_amount, israel_date, zone


def test_a_profile_is_parsed_as_the_import_reads_options() -> None:
    profile = parse_profile(
        "Leumi", mappings=("Value Date=date", "Credit=amount"), date_format="dmy",
        currency="ils", ignore=("Balance", " balance "),
    )  # fmt: skip
    assert profile.name == "leumi"
    assert profile.mapping == {"value date": "date", "credit": "amount"}
    assert (profile.date_format, profile.currency, profile.ignore) == ("DMY", "ILS", ("balance",))
    assert profile_from_json("leumi", profile.to_json()) == profile


@pytest.mark.parametrize(
    ("name", "options", "message"),
    [
        ("paypal", {"mappings": ("A=date",)}, "built-in profile"),
        ("bad name!", {"mappings": ("A=date",)}, "not a profile name"),
        ("empty", {}, "says nothing"),
        ("wrong", {"mappings": ("A=amounts",)}, "FIELD one of"),
        ("both", {"mappings": ("A=date",), "ignore": ("a",)}, "both mapped"),
        ("money", {"currency": "XYZ"}, "XYZ"),
    ],
)
def test_a_profile_that_cannot_be_used_is_refused(
    name: str, options: dict[str, tuple[str, ...] | str], message: str
) -> None:
    arguments = {"mappings": (), "date_format": None, "currency": None, "ignore": ()}
    arguments.update(options)
    with pytest.raises(Exception, match=message):
        parse_profile(name, **arguments)  # type: ignore[arg-type]


def test_the_command_line_adds_to_a_profile_and_overrides_it() -> None:
    base = BUILTIN["israelgives"]
    merged = base.overridden(mapping={"סוג כרטיס": "note"}, date_format="MDY", currency=None,
                             ignore=("הקדשה",))  # fmt: skip
    assert merged.mapping["סוג כרטיס"] == "note"
    assert "הקדשה" not in merged.mapping
    assert "הקדשה" in merged.ignore
    assert merged.date_format == "MDY"
    assert base.mapping["סוג כרטיס"] == "method"  # the built-in itself is unchanged


def test_options_quote_a_column_with_gershayim_so_a_shell_reads_it_back() -> None:
    assert "--map 'דוא\"ל=email'" in BUILTIN["israelgives"].options()


@pytest.mark.parametrize(
    ("text", "hours"),
    [("PDT", -7), ("pst", -8), ("IDT", 3), ("GMT+02:00", 2), ("UTC-05:30", -5.5), ("+0300", 3)],
)
def test_zones_as_exports_write_them(text: str, hours: float) -> None:
    found = zone(text)
    assert found is not None
    assert found.utcoffset(None) == timedelta(hours=hours)


def test_a_zone_name_and_an_unknown_zone() -> None:
    assert zone("Europe/Berlin") is not None
    assert zone("Mars/Olympus") is None
    assert zone("XYZ") is None


def test_a_moment_is_dated_in_israel() -> None:
    # 22:40 in California on 14 July is 08:40 on 15 July in Israel.
    assert israel_date("14/07/2025", "22:40:05", "PDT", "DMY") == date(2025, 7, 15)
    assert israel_date("7/14/2025", "22:40:05", "PDT", "MDY") == date(2025, 7, 15)
    assert israel_date("2025-07-09", "21:30:00", "UTC", "ISO") == date(2025, 7, 10)
    assert "not a time zone" in str(israel_date("03/07/2025", "10:00", "Moon", "DMY"))
    assert "--date-format" in str(israel_date("14/07/2025", "10:00", "IDT", "MDY"))


def test_amounts_with_thousands_separators() -> None:
    assert decimal_amount("1,000.00") == 1000
    assert decimal_amount("-3,000.00") == -3000
    assert decimal_amount("abc") is None


def test_the_evidence_of_a_day_above_twelve() -> None:
    found = evidence([(2, "03/07/2025"), (3, "05/06/2025 10:00"), (4, "23/07/2025 08:30")])
    assert found is not None
    assert (found.format, found.line, found.text) == ("DMY", 4, "23/07/2025 08:30")
    assert found.describe() == "dates read as DD/MM/YYYY (line 4 has 23/07/2025 08:30)"
    american = evidence([(2, "7/3/2025"), (3, "7/23/2025")])
    assert american is not None
    assert american.format == "MDY"
    unproven = evidence([(2, "03/07/2025")])
    assert unproven is not None
    assert unproven.format is None
    assert evidence([(2, "2025-07-03")]) is None
