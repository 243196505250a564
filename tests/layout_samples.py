"""Documents of every kind and size, built as plain values (the dataclasses the services hand to
the layouts), for the tests that look at how pages fill: a campaign of a few days, one of a
month, one of a year, all campaigns together; a receipt and a credit receipt; a short and a
long annual statement. Amounts vary the way real gifts do, so rows differ in width."""

from __future__ import annotations

import random
from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

from fundledger.domain.money import Money
from fundledger.domain.rates import FixedRate
from fundledger.services.campaigns import CampaignInfo
from fundledger.services.receipts import (
    Organisation,
    ReceiptDocument,
    ReceiptNumber,
    ReceiptRate,
)
from fundledger.services.reports import (
    CampaignSummary,
    CurrencyLine,
    DayLine,
    DonorLine,
    ExactTotal,
    Headline,
    MethodLine,
    RatesUsed,
    SizeBand,
)
from fundledger.services.statements import DonorStatement, StatementLine

USD_PER_ILS = Decimal("0.2911")
ORGANISATION = Organisation(
    name="עומדים ביחד – Standing Together", address="רחוב הדוגמה 12, חיפה",
    contact="+972-4-000-0000 · office@example.org", registration="580123456",
    approval="4512/2024", approval_valid_until=date(2026, 12, 31),
)  # fmt: skip
DONORS = ["Noa Cohen", "Ahmad Haddad", "נועה לוי", "رانيا خوري", "Claire Dubois",
          "Yousef Nassar", "מיכל מזרחי", "Thomas Weber", "لينا منصور", "Omer Biton",
          "Hiba Saleh", "David Miller"]  # fmt: skip


def ils(minor: int) -> Money:
    return Money.from_minor(minor, "ILS")


def usd_of(home: Money) -> Money:
    return Money((home.amount * USD_PER_ILS).quantize(Decimal("0.01")), "USD")


def campaign_summary(
    days: int, *, seed: int = 1, currencies: int = 3, methods: int = 5,
    all_campaigns: bool = False, per_day: int = 40,
) -> CampaignSummary:  # fmt: skip
    """A campaign of `days` days of giving, its lines drawn from a fixed seed."""
    randomizer = random.Random(seed)
    first = date(2025, 1, 5)
    by_day = []
    for offset in range(days):
        count = randomizer.randint(per_day // 2, per_day * 2)
        home = ils(count * randomizer.randint(8_000, 60_000))
        by_day.append(DayLine(first + timedelta(days=offset), count, home, usd_of(home)))
    weeks: dict[date, list[DayLine]] = defaultdict(list)
    for line in by_day:
        weeks[line.date - timedelta(days=(line.date.weekday() + 1) % 7)].append(line)
    by_week = tuple(_summed(week, lines) for week, lines in sorted(weeks.items()))
    count = sum(line.count for line in by_day)
    total = sum((line.home for line in by_day), ils(0))
    total_usd = sum((line.reporting for line in by_day), Money.zero("USD"))
    codes = ["ILS", "USD", "EUR", "GBP", "CHF", "CAD", "AUD", "JPY", "SEK", "NOK"][:currencies]
    by_currency = _split_lines(count, total, total_usd, codes, randomizer)
    method_names = ["card", "bank", "cash", "paypal", "cheque", "bit", None][:methods]
    by_method = tuple(
        MethodLine(method, *parts)
        for method, parts in zip(method_names, _parts(count, total, total_usd, len(method_names),
                                                      randomizer), strict=True)
    )  # fmt: skip
    bounds = [0, 100, 250, 500, 1000, 5000]
    sizes = tuple(
        SizeBand(ils(low * 100), ils(high * 100) if high else None, *parts)
        for (low, high), parts in zip(zip(bounds, [*bounds[1:], None], strict=True),
                                      _parts(count, total, total_usd, len(bounds), randomizer),
                                      strict=True)
    )  # fmt: skip
    top = tuple(
        DonorLine(name, randomizer.randint(1, 30), ils(amount), usd_of(ils(amount)))
        for name, amount in zip(DONORS[: min(10, 2 + days)],
                                sorted((randomizer.randint(50_000, 5_000_000) for _ in DONORS),
                                       reverse=True), strict=False)
    )  # fmt: skip
    name = "All campaigns" if all_campaigns else "Don't Look Away – אל תסיטו את המבט"
    info = CampaignInfo(id=0 if all_campaigns else 1, slug="" if all_campaigns else "dla",
                        name=name, goal=None if all_campaigns else ils(total.to_minor() * 5 // 4),
                        start=None, end=None,
                        partner=None if all_campaigns else "Arava Institute")  # fmt: skip
    headline = FixedRate.parse("1 ILS = 0.2911 USD", "ILS", "USD")
    return CampaignSummary(
        campaign=info, home_currency="ILS", reporting_currency="USD", donation_count=count,
        donor_count=count * 3 // 4, anonymous_count=count // 15, total_home=total,
        total_reporting=total_usd, headline=Headline(headline, usd_of(total)),
        by_currency=by_currency, by_day=tuple(by_day),
        rates=RatesUsed(("BOI", "ECB"), first - timedelta(days=1), by_day[-1].date,
                        tuple(f"{code}/ILS" for code in codes if code != "ILS")),
        exact=ExactTotal(total, total_usd), by_week=by_week, by_method=by_method, sizes=sizes,
        top_donors=top, average_gift=ils(total.to_minor() // count), median_gift=ils(18_000),
        goal_progress=Decimal("0.8") if not all_campaigns else None,
    )  # fmt: skip


def _summed(day: date, lines: list[DayLine]) -> DayLine:
    return DayLine(day, sum(line.count for line in lines),
                   sum((line.home for line in lines), ils(0)),
                   sum((line.reporting for line in lines), Money.zero("USD")))  # fmt: skip


def _parts(count: int, home: Money, reporting: Money, parts: int,
           randomizer: random.Random) -> list[tuple[int, Money, Money]]:  # fmt: skip
    """`parts` lines that add up exactly to the totals."""
    weights = [randomizer.randint(1, 10) for _ in range(parts)]
    lines = []
    left = (count, home.to_minor(), reporting.to_minor())
    for index, weight in enumerate(weights):
        if index == parts - 1:
            share = left
        else:
            fraction = weight / sum(weights)
            share = (int(count * fraction), int(home.to_minor() * fraction),
                     int(reporting.to_minor() * fraction))  # fmt: skip
        left = (left[0] - share[0], left[1] - share[1], left[2] - share[2])
        lines.append((share[0], ils(share[1]), Money.from_minor(share[2], "USD")))
    return lines


def _split_lines(count: int, home: Money, reporting: Money, codes: list[str],
                 randomizer: random.Random) -> tuple[CurrencyLine, ...]:  # fmt: skip
    return tuple(
        CurrencyLine(code, gifts, Money(line_home.amount / (1 if code == "ILS" else 4), code)
                     if code != "JPY" else Money(int(line_home.amount * 40), "JPY"),
                     line_home, line_reporting)
        for code, (gifts, line_home, line_reporting) in zip(
            codes, _parts(count, home, reporting, len(codes), randomizer), strict=True)
    )  # fmt: skip


def receipt(locale: str, *, credit: bool = False) -> ReceiptDocument:
    return ReceiptDocument(
        number=ReceiptNumber("DLA", 2025, 17), kind="credit" if credit else "donation",
        issued_on=date(2025, 12, 31), locale=locale, organisation=ORGANISATION,
        donor="Ali Haddad (علي حداد)", donor_email="ali@example.org", donor_tax_id="123456782",
        donation_id=42, gift_date=date(2025, 12, 28),
        amount=Money("-1234.50" if credit else "1234.50", "EUR"),
        home=Money("-4922.63" if credit else "4922.63", "ILS"),
        rate=ReceiptRate("EUR", "ILS", "3.9876", date(2025, 12, 28), "BOI", "direct", None),
        method="bank", reference="TX-2025/12 (a)", tax_report=None,
        credits=ReceiptNumber("DLA", 2025, 3) if credit else None,
        credits_issued_on=date(2025, 12, 29) if credit else None,
    )  # fmt: skip


def statement(gifts: int, *, receipts: bool = True, seed: int = 2) -> DonorStatement:
    randomizer = random.Random(seed)
    campaigns = ["Don't Look Away 2025", "אל תסיטו את המבט", "حملة الشتاء 2025",
                 "Emergency Fund"]  # fmt: skip
    lines = []
    for number in range(gifts):
        currency = randomizer.choice(["ILS", "ILS", "USD", "EUR"])
        amount = Money(Decimal(randomizer.choice([50, 100, 180, 360, 1000, 2500])), currency)
        rate = {"ILS": Decimal(1), "USD": Decimal("3.376"), "EUR": Decimal("3.9876")}[currency]
        home = Money(amount.amount * rate, "ILS").rounded()
        lines.append(StatementLine(
            donation_id=number + 1, date=date(2025, 1, 1) + timedelta(days=number * 360 // gifts),
            campaign=randomizer.choice(campaigns), amount=amount, home=home,
            reporting=usd_of(home),
            receipt=ReceiptNumber("DLA", 2025, number + 1) if receipts else None,
            anonymous=number % 5 == 0))  # fmt: skip
    return DonorStatement(
        year=2025, organisation=ORGANISATION, donor_id=7, donor="Rania Khoury (رانيا خوري)",
        donor_email="rania@example.org", lines=tuple(lines),
        total_home=sum((line.home for line in lines), ils(0)),
        total_reporting=sum((line.reporting for line in lines), Money.zero("USD")),
        max_rate_age_days=7,
    )  # fmt: skip
