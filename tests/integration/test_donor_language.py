"""Each donor in their language: a donor's language is a revision of their details, and their
receipts, credit receipts and statements are written in it unless the command names another;
without one, the report.locale setting's, else English. An import's language column gives
donors theirs without making its gifts other gifts."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from fundledger.adapters.db.models import AuditEvent, Donation, DonorRevision, Receipt
from fundledger.adapters.donation_csv import DonationFile, parse_mapping
from fundledger.domain.errors import FundledgerError
from fundledger.domain.money import Money
from fundledger.services.donation_import import (
    DonationImportRefused,
    ImportSummary,
    import_donations,
)
from fundledger.services.donations import record_donation, reverse_donation
from fundledger.services.donors import list_donors, merge_donors, set_language
from fundledger.services.integrity import check_ledger
from fundledger.services.receipts import (
    IssueOptions,
    ReceiptDocument,
    credit_receipt_of,
    issue_receipt,
    issue_unreceipted,
)
from fundledger.services.settings import set_setting
from fundledger.services.statements import donor_statement, donor_statements
from tests.ledger_helpers import campaign, gift, rates, run

AUGUST = date(2025, 8, 1)
NAMES = {"en": "Peace Coalition", "he": "קואליציית שלום", "ar": "ائتلاف السلام"}


@pytest.fixture
def ledger(ledger_engine: Engine) -> Engine:
    campaign(ledger_engine)
    rates(ledger_engine, "2025-07-03 USD ILS 3.376 BOI")
    for language, name in NAMES.items():
        run(ledger_engine, lambda s, c, key=f"organisation.name.{language}", value=name:
            set_setting(s, c, key, value))  # fmt: skip
    gift(ledger_engine, "2025-07-03 100.00 USD", donor="Dana Levi")  # donor 1: no language
    gift(ledger_engine, "2025-07-03 250.00 ILS", donor="שירה כהן")  # donor 2
    gift(ledger_engine, "2025-07-03 180.00 ILS", donor="سمير حداد")  # donor 3
    run(ledger_engine, lambda s, c: set_language(s, c, donor_id=2, language="עברית"))
    run(ledger_engine, lambda s, c: set_language(s, c, donor_id=3, language="ar"))
    return ledger_engine


def issue(engine: Engine, donation_id: int, locale: str | None = None) -> ReceiptDocument:
    return run(engine, lambda s, c: issue_receipt(s, c, donation_id, IssueOptions(locale, AUGUST)))


def setting(engine: Engine, key: str, value: str) -> None:
    run(engine, lambda s, c: set_setting(s, c, key, value))


def revisions(engine: Engine) -> int:
    return run(engine, lambda s, _: s.scalar(select(func.count()).select_from(DonorRevision)))


def gifts(engine: Engine) -> int:
    return run(engine, lambda s, _: s.scalar(select(func.count()).select_from(Donation)))


def languages(engine: Engine) -> dict[str, str | None]:
    return {donor.name: donor.language for donor in run(engine, lambda s, _: list_donors(s))}


def assert_clean(engine: Engine) -> None:
    problems = {result.name: result.problems for result in run(engine, check_ledger)}
    assert all(not found for found in problems.values()), problems


def test_a_documents_language_is_the_locale_asked_else_the_donors_else_the_setting_else_en(
    ledger: Engine,
) -> None:
    # --locale over everything
    assert issue(ledger, 3, "he").locale == "he"
    # the donor's own, with the organisation named in it
    hebrew = issue(ledger, 2)
    assert (hebrew.locale, hebrew.organisation.name) == ("he", NAMES["he"])
    # no language of their own: English while report.locale is unset...
    gift(ledger, "2025-07-03 10.00 ILS", donor="Dana Levi")  # 4
    gift(ledger, "2025-07-03 20.00 ILS", donor="Dana Levi")  # 5
    english = issue(ledger, 1)
    assert (english.locale, english.organisation.name) == ("en", NAMES["en"])
    # ... the setting's once set; a donor's own still wins over it
    setting(ledger, "report.locale", "ar")
    assert issue(ledger, 4).locale == "ar"
    run(ledger, lambda s, c: set_language(s, c, donor_id=1, language="Hebrew"))
    assert issue(ledger, 5).locale == "he"
    assert_clean(ledger)


def test_a_batch_is_receipted_each_in_its_donors_language(ledger: Engine) -> None:
    setting(ledger, "report.locale", "he")
    documents, without_donor = run(ledger, lambda s, c: issue_unreceipted(
        s, c, "dont-look-away", IssueOptions(None, AUGUST)))  # fmt: skip
    assert without_donor == 0
    assert [(d.donor, d.locale, d.organisation.name) for d in documents] == [
        ("Dana Levi", "he", NAMES["he"]),  # no language: the setting's
        ("שירה כהן", "he", NAMES["he"]),
        ("سمير حداد", "ar", NAMES["ar"]),
    ]
    # Numbered in date order whatever their language: one series.
    assert [document.number.number for document in documents] == [1, 2, 3]


def test_a_merged_donors_receipt_follows_the_donor_it_is_merged_into(ledger: Engine) -> None:
    gift(ledger, "2025-07-03 30.00 ILS", donor="Samir Haddad")  # donor 4, no language
    run(ledger, lambda s, c: merge_donors(s, c, merged_id=4, into_id=3, reason="one person"))
    document = issue(ledger, 4)
    assert (document.donor, document.locale) == ("سمير حداد", "ar")
    # A language set on the merged donor would change nothing: refused, naming the other.
    with pytest.raises(FundledgerError, match=r"donor #4 is merged into #3, whose language .*"
                       r"`fundledger donor set-language 3 he`"):  # fmt: skip
        run(ledger, lambda s, c: set_language(s, c, donor_id=4, language="he"))


def test_set_language_is_an_audited_revision_and_the_same_again_writes_nothing(
    ledger: Engine,
) -> None:
    before = revisions(ledger)
    change = run(ledger, lambda s, c: set_language(s, c, donor_id=1, language=" ARABIC ",
                                                   reason="asked at the march"))  # fmt: skip
    assert (change.before, change.after, change.changed) == (None, "ar", True)
    assert revisions(ledger) == before + 1
    event = run(ledger, lambda s, _: s.scalars(select(AuditEvent).where(
        AuditEvent.action == "donor.language").order_by(AuditEvent.id.desc())).first())  # fmt: skip
    assert event is not None
    assert (event.entity, event.entity_id, event.reason) == ("donor", 1, "asked at the march")
    details = json.loads(event.details)
    assert (details["before"], details["after"]) == (None, "ar")
    again = run(ledger, lambda s, c: set_language(s, c, donor_id=1, language="العربية"))
    assert not again.changed
    assert revisions(ledger) == before + 1
    cleared = run(ledger, lambda s, c: set_language(s, c, donor_id=1, language=None))
    assert (cleared.before, cleared.after) == ("ar", None)
    assert languages(ledger)["Dana Levi"] is None
    # The other details are carried over: the revision changed the language alone.
    assert [donor.name for donor in run(ledger, lambda s, _: list_donors(s))].count(
        "Dana Levi") == 1  # fmt: skip
    with pytest.raises(FundledgerError, match=r"'klingon' is not a language .*en, he or ar"):
        run(ledger, lambda s, c: set_language(s, c, donor_id=1, language="klingon"))
    with pytest.raises(FundledgerError, match="no donor #99"):
        run(ledger, lambda s, c: set_language(s, c, donor_id=99, language="he"))
    assert_clean(ledger)


def test_a_gift_recorded_with_a_language_gives_it_to_a_donor_without_one_only(
    ledger: Engine,
) -> None:
    gift_amount = Money.parse("10", "ILS")
    entry = run(ledger, lambda s, c: record_donation(
        s, c, campaign_slug="dont-look-away", on=date(2025, 7, 3), amount=gift_amount,
        donor_name="Noa Cohen", language="English"))  # fmt: skip
    assert entry.donor_language is not None
    assert (entry.donor_language.after, entry.donor_language.changed) == ("en", True)
    kept = run(ledger, lambda s, c: record_donation(
        s, c, campaign_slug="dont-look-away", on=date(2025, 7, 3), amount=gift_amount,
        donor_name="שירה כהן", language="ar"))  # fmt: skip
    assert kept.donor_language is not None
    assert (kept.donor_language.after, kept.donor_language.changed) == ("he", False)
    assert languages(ledger)["Noa Cohen"] == "en"
    assert languages(ledger)["שירה כהן"] == "he"
    with pytest.raises(FundledgerError, match="belongs to a donor"):
        run(ledger, lambda s, c: record_donation(
            s, c, campaign_slug="dont-look-away", on=date(2025, 7, 3), amount=gift_amount,
            language="he"))  # fmt: skip
    assert_clean(ledger)


def test_a_credit_receipt_is_written_in_its_donors_language(ledger: Engine) -> None:
    # Issued in English on request; the donor reads Arabic: the credit receipt is in Arabic.
    assert issue(ledger, 3, "en").locale == "en"
    reversal = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=3, reason="refund"))
    credit = run(ledger, lambda s, _: credit_receipt_of(s, reversal.id))
    assert credit is not None
    assert (credit.kind, credit.locale, credit.organisation.name) == ("credit", "ar", NAMES["ar"])
    assert credit.amount == -issue_amount(ledger, 3)
    # --locale over the donor's
    issue(ledger, 2)
    other = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=2, reason="refund",
                                                       locale="en"))  # fmt: skip
    credit = run(ledger, lambda s, _: credit_receipt_of(s, other.id))
    assert credit is not None
    assert credit.locale == "en"
    # No language of their own: the cancelled receipt's, not a setting changed since.
    issue(ledger, 1, "he")
    setting(ledger, "report.locale", "ar")
    third = run(ledger, lambda s, c: reverse_donation(s, c, donation_id=1, reason="refund"))
    credit = run(ledger, lambda s, _: credit_receipt_of(s, third.id))
    assert credit is not None
    assert credit.locale == "he"
    assert_clean(ledger)


def issue_amount(engine: Engine, donation_id: int) -> Money:
    content = run(engine, lambda s, _: s.scalar(select(Receipt.content).where(
        Receipt.donation_id == donation_id)))  # fmt: skip
    return ReceiptDocument.from_json(content).amount


def test_statements_are_each_in_their_donors_language(ledger: Engine) -> None:
    setting(ledger, "report.locale", "he")
    everyone = run(ledger, lambda s, c: donor_statements(s, c, 2025, None))
    assert {(each.donor, each.locale, each.organisation.name) for each in everyone} == {
        ("Dana Levi", "he", NAMES["he"]),
        ("שירה כהן", "he", NAMES["he"]),
        ("سمير حداد", "ar", NAMES["ar"]),
    }
    forced = run(ledger, lambda s, c: donor_statements(s, c, 2025, "en"))
    assert {each.locale for each in forced} == {"en"}
    one = run(ledger, lambda s, c: donor_statement(s, c, 3, 2025, None))
    assert (one.locale, one.organisation.name) == ("ar", NAMES["ar"])


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def import_file(engine: Engine, path: Path, *mapping: str) -> ImportSummary:
    source = DonationFile(path, home_currency="ILS", mapping=parse_mapping(mapping))
    return run(engine, lambda s, c: import_donations(s, c, "dont-look-away", source))


def test_an_imports_language_column_gives_donors_without_one_theirs(
    ledger: Engine, tmp_path: Path
) -> None:
    before = gifts(ledger)
    summary = import_file(ledger, write(tmp_path / "gifts.csv", (
        "date,amount,currency,donor,email,method,reference,note,Language\n"
        "2025-07-03,40,ILS,Dana Levi,,card,,,hebrew\n"  # existing, none yet: takes it
        "2025-07-03,50,ILS,שירה כהן,,card,,,ar\n"  # existing, he: keeps it
        "2025-07-03,60,ILS,Rami Haddad,,cash,,,العربية\n"  # new
        "2025-07-03,70,ILS,Noa Cohen,,cash,,,\n"  # new, none given
        "2025-07-03,80,ILS,,,cash,,,en\n"  # anonymous, no donor: nothing to give it to
        "2025-07-03,90,ILS,Rami Haddad,,cash,,,en\n"  # new this file, ar from line 4: keeps it
    )))  # fmt: skip
    assert (summary.imported, gifts(ledger)) == (6, before + 6)
    assert summary.languages_set == {"he": 1, "ar": 1}
    assert [(kept.name, kept.theirs, kept.offered) for kept in summary.languages_kept] == [
        ("שירה כהן", "he", ("ar",)), ("Rami Haddad", "ar", ("en",))]  # fmt: skip
    assert languages(ledger) == {"Dana Levi": "he", "שירה כהן": "he", "سمير حداد": "ar",
                                 "Rami Haddad": "ar", "Noa Cohen": None}  # fmt: skip
    event = run(ledger, lambda s, _: s.scalars(select(AuditEvent).where(
        AuditEvent.action == "donations.import")).one())  # fmt: skip
    assert json.loads(event.details)["donor_languages"] == {"set": {"ar": 1, "he": 1}, "kept": 2}
    revision = run(ledger, lambda s, _: s.scalars(select(DonorRevision).order_by(
        DonorRevision.id.desc())).first())  # fmt: skip
    assert revision is not None
    assert revision.reason == "the language column of gifts.csv"
    assert_clean(ledger)
    # Their documents follow.
    assert issue(ledger, before + 1).locale == "he"
    assert issue(ledger, before + 3).locale == "ar"


def test_a_language_column_added_to_a_file_imported_before_adds_no_gift(
    ledger: Engine, tmp_path: Path
) -> None:
    rows = ("2025-07-03,40,ILS,Dana Levi,dana@example.org,card,,table 1",
            "2025-07-03,40,ILS,Dana Levi,dana@example.org,card,,table 1",
            "2025-07-04,60,ILS,Rami Haddad,,cash,,")  # fmt: skip
    header = "date,amount,currency,donor,email,method,reference,note"
    first = import_file(ledger, write(tmp_path / "export.csv", "\n".join((header, *rows)) + "\n"))
    assert first.imported == 3
    before = gifts(ledger)
    # The same export, re-saved with a language column (and amounts written otherwise).
    again = "\n".join((
        f"{header},language",
        "2025-07-03,40.00,ILS,Dana Levi,DANA@example.org,card,,table 1,עברית",
        "2025-07-03,40.00,ILS,Dana Levi,dana@example.org,card,,table 1,he",
        "2025-07-04,60.00,ILS,Rami Haddad,,cash,,,ar",
    )) + "\n"  # fmt: skip
    second = import_file(ledger, write(tmp_path / "export-with-language.csv", again))
    assert (second.imported, second.present, gifts(ledger)) == (0, 3, before)
    assert second.languages_set == {"he": 1, "ar": 1}
    assert languages(ledger)["Rami Haddad"] == "ar"
    # No gift, yet revisions: the import's own event covers them, and the same bytes again
    # are known as that import.
    assert_clean(ledger)
    third = import_file(ledger, tmp_path / "export-with-language.csv")
    assert third.earlier is not None
    assert third.earlier.imported == 0
    assert gifts(ledger) == before


def test_bad_languages_are_refused_by_line_and_nothing_is_written(
    ledger: Engine, tmp_path: Path
) -> None:
    before, revised = gifts(ledger), revisions(ledger)
    with pytest.raises(DonationImportRefused) as refused:
        import_file(ledger, write(tmp_path / "bad.csv", (
            "date,amount,currency,donor,Preferred language\n"
            "2025-07-03,40,ILS,Noa Cohen,he\n"
            "2025-07-03,50,ILS,Ali Nasser,french\n"
            "2025-07-03,nope,ILS,Ali Nasser,klingon\n"  # one problem per line: the first
            "2025-07-03,60,ILS,Ali Nasser,fr-IL\n"
            "2025-07-03,70,ILS,Rami Saleh,ar-IL\n"  # a language tag: Arabic, as spoken here
        )), "Preferred language=language")  # fmt: skip
    assert refused.value.problems == [
        "bad.csv:3: language: 'french' is not a language documents are written in: use en, "
        "he or ar (or English, Hebrew, Arabic, in any of the three)",
        "bad.csv:4: amount: " + refused.value.problems[1].split("amount: ", 1)[1],
        "bad.csv:5: language: 'fr-IL' is not a language documents are written in: use en, "
        "he or ar (or English, Hebrew, Arabic, in any of the three)",
    ]
    assert (gifts(ledger), revisions(ledger)) == (before, revised)
    assert "Noa Cohen" not in languages(ledger)
