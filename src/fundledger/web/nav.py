"""The navigation every page shows: the areas of the interface in order. A link appears once
its page's endpoint is registered (round 2 adds the pages), so none leads nowhere."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app, url_for
from flask_login import current_user

from fundledger.domain.access import Role
from fundledger.web.i18n import N_


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: str  # an English message, translated where it is shown
    needs: Role = Role.VIEWER  # shown to those whose role may open the page


NAVIGATION = (
    NavItem("home.index", N_("Dashboard")),
    NavItem("campaigns.index", N_("Campaigns")),
    NavItem("donors.index", N_("Donors")),
    NavItem("gifts.index", N_("Gifts")),
    NavItem("rates.index", N_("Rates")),
    NavItem("imports.new", N_("Import"), Role.TREASURER),
    NavItem("receipts.index", N_("Receipts"), Role.TREASURER),
    NavItem("audit.index", N_("Audit"), Role.TREASURER),
    NavItem("settings.index", N_("Settings"), Role.ADMIN),
)


def navigation() -> list[tuple[str, str, str]]:
    """(url, label, endpoint) of each area whose page exists and the user's role may open."""
    role = Role(getattr(current_user, "role", Role.VIEWER))
    return [(url_for(item.endpoint), item.label, item.endpoint) for item in NAVIGATION
            if item.endpoint in current_app.view_functions
            and role.rank >= item.needs.rank]  # fmt: skip
