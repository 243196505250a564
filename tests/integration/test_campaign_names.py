"""A campaign's name in each report language: set when it is added or later, kept as chained,
append-only rows, listed at the end of `campaign list`, and printed by every document in its
reader's language (else the campaign's own name)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from pypdf import PdfReader
from sqlalchemy import Engine, select

from fundledger.adapters.db.models import AuditEvent, CampaignName
from fundledger.cli import cli
from fundledger.domain.errors import FundledgerError
from fundledger.reports.i18n import Reader
from fundledger.reports.pdf.campaign import ReportOptions, write_campaign_pdf
from fundledger.reports.pdf.statement import write_statement_pdf
from fundledger.reports.summary_json import summary_to_dict
from fundledger.services.campaigns import (
    add_campaign,
    campaign_names,
    list_campaigns,
    set_campaign_name,
)
from fundledger.services.integrity import check_ledger
from fundledger.services.settings import set_setting
from fundledger.services.statements import donor_statement
from tests.integration.test_chain_coverage import forge
from tests.ledger_helpers import gift, rates, run, summary
from tests.pdf_helpers import pdf_text

SLUG = "dont-look-away"
HEBREW = "אל תסיטו את המבט"
ARABIC = "لا تشيحوا بنظركم"


def invoke(url: str, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["--db", url, *args], prog_name="fundledger")
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


def chain_problems(engine: Engine) -> list[str]:
    checks = run(engine, check_ledger)
    return [problem for check in checks for problem in check.problems]


@pytest.fixture
def named(ledger_engine: Engine) -> Engine:
    names = {"he": HEBREW, "ar": ARABIC, "en": ""}  # blank: none of its own
    run(ledger_engine, lambda s, c: add_campaign(s, c, slug=SLUG, name="Don't Look Away",
                                                 names=names))  # fmt: skip
    rates(ledger_engine, "2025-07-03 USD ILS 3.376")
    gift(ledger_engine, "2025-07-03 100.00 ILS", donor="Dana Levi")
    run(ledger_engine, lambda s, c: set_setting(s, c, "organisation.name.en", "Coalition"))
    return ledger_engine


def test_the_cli_sets_changes_clears_and_lists_the_names(
    ledger_engine: Engine, ledger_url: str
) -> None:
    code, out, _ = invoke(ledger_url, "campaign", "add", SLUG, "--name", "Don't Look Away",
                          "--name-he", HEBREW, "--name-ar", ARABIC)  # fmt: skip
    assert (code, out) == (0, "Created campaign dont-look-away (Don't Look Away).\n")
    invoke(ledger_url, "campaign", "add", "other", "--name", "Other")

    code, out, _ = invoke(ledger_url, "campaign", "list", "--format", "json")
    rows = {row["slug"]: row for row in json.loads(out)}
    # The contract's columns first, in their order; the names after them (the totals came
    # later, and after them).
    assert list(rows[SLUG])[8:11] == ["name_en", "name_he", "name_ar"]
    assert list(rows[SLUG])[:8] == ["slug", "name", "start", "end", "goal", "goal_currency",
                                    "partner", "entries"]  # fmt: skip
    assert (rows[SLUG]["name_he"], rows[SLUG]["name_ar"], rows[SLUG]["name_en"]) == (
        HEBREW, ARABIC, None)  # fmt: skip
    assert (rows["other"]["name_he"], rows["other"]["name_ar"]) == (None, None)
    code, out, _ = invoke(ledger_url, "campaign", "list")
    header = out.splitlines()[0].split()
    assert header[-4:] == ["NAME", "(HE)", "NAME", "(AR)"]
    assert "(EN)" not in header
    assert HEBREW in out

    code, out, _ = invoke(ledger_url, "campaign", "name", SLUG, "HE", "אל תסיטו מבט")
    assert (code, out) == (0, f"Campaign {SLUG} is 'אל תסיטו מבט' in he now.\n")
    code, out, _ = invoke(ledger_url, "campaign", "name", SLUG, "he", " אל תסיטו מבט ")
    assert (code, out) == (0, f"Campaign {SLUG} is already 'אל תסיטו מבט' in he: nothing "
                              "changed.\n")  # fmt: skip
    code, out, _ = invoke(ledger_url, "campaign", "name", SLUG, "ar", "--clear")
    assert code == 0
    assert 'has no name of its own in ar now: documents in it print "Don\'t Look Away"' in out
    code, out, _ = invoke(ledger_url, "campaign", "list", "--format", "csv")
    assert ",entries,name_en,name_he,name_ar,gifts," in out.splitlines()[0]
    assert run(ledger_engine, lambda s, c: campaign_names(s)) == {1: {"he": "אל תסיטו מבט"}}
    with ledger_engine.connect() as connection:
        rows_written = connection.execute(
            select(CampaignName.language, CampaignName.name).order_by(CampaignName.id)
        ).all()
        actions = connection.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert [tuple(row) for row in rows_written] == [
        ("ar", ARABIC), ("he", HEBREW), ("he", "אל תסיטו מבט"), ("ar", None)]  # fmt: skip
    assert actions == ["campaign.add", "campaign.add", "campaign.name", "campaign.name"]
    assert chain_problems(ledger_engine) == []


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (["fr", "Ne détournez pas"], 1, "a campaign's name: 'fr' is not a language documents "
         "are written in: use en, he or ar"),
        (["he", "a\x1b[31mb"], 1, "the campaign's name in he holds the control character "
         "U+001B (ESC)"),
        (["he", "א" * 201], 1, "the campaign's name in he is longer than 200 characters"),
        (["he"], 2, "give the name (TEXT) or --clear"),
        (["he", "x", "--clear"], 2, "give the name (TEXT) or --clear"),
    ],
)  # fmt: skip
def test_bad_names_are_refused_in_one_line(
    ledger_engine: Engine, ledger_url: str, args: list[str], status: int, message: str
) -> None:
    invoke(ledger_url, "campaign", "add", SLUG, "--name", "Don't Look Away")
    code, _, err = invoke(ledger_url, "campaign", "name", SLUG, *args)
    assert code == status
    assert message in err
    if status == 1:
        assert len(err.strip().splitlines()) == 1
    assert run(ledger_engine, lambda s, c: campaign_names(s)) == {}


def test_add_refuses_a_name_with_a_control_character_and_writes_nothing(
    ledger_engine: Engine,
) -> None:
    with pytest.raises(FundledgerError, match="campaign's name in ar holds the control"):
        run(ledger_engine, lambda s, c: add_campaign(s, c, slug=SLUG, name="D",
                                                     names={"ar": "لا\x07"}))  # fmt: skip
    assert run(ledger_engine, lambda s, c: list_campaigns(s)) == []


def test_the_summary_prints_the_name_of_its_readers_language(named: Engine, tmp_path: Path) -> None:
    found = summary(named)  # the stored summaries and the gifts agree
    assert dict(found.campaign.names) == {"he": HEBREW, "ar": ARABIC}
    assert summary_to_dict(found)["campaign"]["names"] == {"ar": ARABIC, "he": HEBREW}
    assert summary_to_dict(found)["campaign"]["name"] == "Don't Look Away"
    options = ReportOptions(max_rate_age_days=7, organisation="Coalition")
    for language, name in (("en", "Don't Look Away"), ("he", HEBREW), ("ar", ARABIC)):
        path = tmp_path / f"{language}.pdf"
        write_campaign_pdf(found, Reader(language), path, options)
        title = PdfReader(path).metadata.title  # type: ignore[union-attr]
        assert title.startswith(f"{name}: ")
        text = pdf_text(path, layout=False)
        # The heading and each page's footer ("Coalition · name").
        assert text.count(name) == 1 + len(PdfReader(path).pages), (language, text)
        for other in {"Don't Look Away", HEBREW, ARABIC} - {name}:
            assert other not in text


def test_statements_name_the_campaign_in_their_readers_language(
    named: Engine, tmp_path: Path
) -> None:
    for language, name in (("en", "Don't Look Away"), ("he", HEBREW), ("ar", ARABIC)):
        statement = run(named, lambda s, c, lang=language: donor_statement(s, c, 1, 2025, lang))
        assert statement.lines[0].campaign == "Don't Look Away"
        path = tmp_path / f"statement-{language}.pdf"
        write_statement_pdf(statement, Reader(language), path)
        text = pdf_text(path, layout=False)
        assert name in text, (language, text)
        for other in {"Don't Look Away", HEBREW, ARABIC} - {name}:
            assert other not in text


def test_a_later_name_is_in_force_and_a_forged_one_is_named_by_check(named: Engine) -> None:
    run(named, lambda s, c: set_campaign_name(s, c, SLUG, "he", "שם חדש"))
    assert run(named, lambda s, c: campaign_names(s, [1])) == {1: {"he": "שם חדש", "ar": ARABIC}}
    assert chain_problems(named) == []
    forged = forge(named, CampaignName, {
        "campaign_id": 1, "language": "he", "name": "Forged", "recorded_at":
        datetime(2025, 7, 6, 9, 30, tzinfo=UTC), "recorded_by": "insider"})  # fmt: skip
    problems = chain_problems(named)
    assert any(f"campaign_name #{forged}" in problem for problem in problems), problems
