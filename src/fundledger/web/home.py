"""A landing page after signing in: the campaigns (round 2 makes it the dashboard)."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask.typing import ResponseReturnValue

from fundledger.services.campaigns import list_campaigns
from fundledger.web import db
from fundledger.web.i18n import language

bp = Blueprint("home", __name__)


@bp.route("/")
def index() -> ResponseReturnValue:
    campaigns = db.run(lambda session, _: list_campaigns(session, entry_counts=False))
    shown = [campaign.in_language(language()) for campaign in campaigns]
    return render_template("home.html", campaigns=shown)
