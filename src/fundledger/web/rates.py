"""The rates page: every pair with its latest rate (value, date, source), and the gaps (gifts
without a rate in force), each with the command that mends it."""

from __future__ import annotations

from flask import Blueprint
from flask.typing import ResponseReturnValue

from fundledger.domain.dates import today_in_israel
from fundledger.services.rate_overview import rate_overview
from fundledger.web import db
from fundledger.web.listing import render

bp = Blueprint("rates", __name__, url_prefix="/rates")


@bp.route("")
def index() -> ResponseReturnValue:
    today = today_in_israel()
    overview = db.run(lambda session, context: rate_overview(session, context, today=today))
    return render("rates.html", overview=overview)
