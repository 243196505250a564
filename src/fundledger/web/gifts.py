"""The gifts search across campaigns: a GET form over the conditions of services/search.py
(as `fundledger donation list`), a page of gifts at a time with each one's NIS value and
receipt number."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from flask import Blueprint
from flask.typing import ResponseReturnValue
from sqlalchemy.orm import Session

from fundledger.domain.access import PermissionDenied
from fundledger.domain.errors import FundledgerError
from fundledger.domain.methods import METHODS
from fundledger.domain.money import Money
from fundledger.services.browse import GiftLine, Page, search_gifts
from fundledger.services.campaigns import CampaignInfo, list_campaigns
from fundledger.services.context import CommandContext
from fundledger.services.search import DonationSearch
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.i18n import language
from fundledger.web.listing import (
    BadField,
    amount_field,
    date_field,
    page_number,
    refused,
    render,
    text_field,
)

bp = Blueprint("gifts", __name__, url_prefix="/gifts")


@dataclass(frozen=True)
class Found:
    campaigns: list[CampaignInfo]
    gifts: Page[GiftLine] | None  # None: nothing asked yet
    unvalued: int
    home_currency: str


@bp.route("")
def index() -> ResponseReturnValue:
    try:
        search, minimum, maximum = _search()
    except BadField as error:
        return render("gifts.html", 400, found=_found(None, None, None, 1), error=str(error),
                      methods=METHODS)  # fmt: skip
    try:
        found = _found(search, minimum, maximum, page_number())
    except PermissionDenied:  # a viewer's search by e-mail
        raise
    except FundledgerError as error:  # an unknown campaign; bounds the wrong way round
        return refused(str(error))
    return render("gifts.html", found=found, error=None, methods=METHODS)


def _found(
    search: DonationSearch | None, minimum: Decimal | None, maximum: Decimal | None, page: int
) -> Found:
    actor = db.current_actor()

    def work(session: Session, context: CommandContext) -> Found:
        campaigns = [each.in_language(language())
                     for each in list_campaigns(session, entry_counts=False)]  # fmt: skip
        home = context.settings.home_currency
        if search is None:
            return Found(campaigns, None, 0, home)
        # The value bounds are in the home currency, which the ledger's settings name.
        bounded = replace(
            search,
            minimum=Money(minimum, home) if minimum is not None else None,
            maximum=Money(maximum, home) if maximum is not None else None,
        )
        gifts, unvalued = search_gifts(session, context, actor, bounded, page=page)
        return Found(campaigns, gifts, unvalued, home)

    return db.run(work)


def _search() -> tuple[DonationSearch | None, Decimal | None, Decimal | None]:
    """The form's conditions; None when the form asks for nothing yet."""
    search = DonationSearch(
        campaign=text_field("campaign", _("Campaign")),
        donor=text_field("donor", _("Donor's name")),
        email=text_field("email", _("Donor's e-mail")),
        date_from=date_field("from", _("From")),
        date_to=date_field("to", _("To")),
        method=text_field("method", _("Method")),
        reference=text_field("reference", _("Reference")),
    )
    minimum = amount_field("min", _("Value from"))
    maximum = amount_field("max", _("Value up to"))
    if search == DonationSearch() and minimum is None and maximum is None:
        return None, None, None
    return search, minimum, maximum
