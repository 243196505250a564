"""Who may do what: the three roles of a ledger's users, checked by the service a request calls.

A viewer reads what a report shows (never a donor's contact details or ID number); a treasurer
also writes gifts, imports, rates and receipts; an admin also manages users and settings. Each
role can do everything the roles below it can. Whoever runs the `fundledger` command at a
terminal holds the ledger file (or its database password) and acts as an admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from fundledger.domain.errors import FundledgerError


class Role(StrEnum):
    VIEWER = "viewer"
    TREASURER = "treasurer"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]


_RANKS = {Role.VIEWER: 0, Role.TREASURER: 1, Role.ADMIN: 2}


class PermissionDenied(FundledgerError):
    """The acting user's role does not allow the request (the web answers 403)."""


@dataclass(frozen=True, slots=True)
class Actor:
    """The person a service acts for: their name (as the audit trail records it) and role."""

    name: str
    role: Role

    def may(self, needed: Role) -> bool:
        return self.role.rank >= needed.rank

    @property
    def sees_contact_details(self) -> bool:
        """E-mail, address, phone and ID numbers are for those who keep the books."""
        return self.may(Role.TREASURER)


def require(actor: Actor, needed: Role, doing: str) -> None:
    """Refuse `doing` (a few words: "record a gift") unless the actor's role allows it."""
    if not actor.may(needed):
        raise PermissionDenied(
            f"{actor.name} is a {actor.role}; to {doing} needs the {needed} role "
            f"(an admin can grant it with: fundledger user role {actor.name} {needed})"
        )
