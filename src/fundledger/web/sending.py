"""Sending one document by e-mail from a page, as `fundledger receipt send NUMBER` and
`statement send DONOR --year Y` do: the plan read in one transaction, the message sent outside
any (a slow mail server never holds the ledger), the attempt recorded in a transaction of its
own; what happened is said on the next page. One document a request: a request never waits
on more than one exchange with the mail server."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import flash
from sqlalchemy.orm import Session

from fundledger.domain.access import Actor, PermissionDenied
from fundledger.domain.errors import FundledgerError
from fundledger.services.context import CommandContext
from fundledger.services.delivery import DeliveryPlan, DeliveryStopped, send_planned
from fundledger.web import db
from fundledger.web.i18n import gettext as _
from fundledger.web.messages import service_message

T = TypeVar("T")


def send_one(
    plan: Callable[[Session, CommandContext], DeliveryPlan], label: str, actor: Actor
) -> bool:
    """Send the one document `plan` names and flash what happened; whether it was sent."""
    # Imported here: ReportLab costs every other page's first request 0.08 s.
    from fundledger.reports.mail_message import MailDrafts

    try:
        planned = db.run(plan)
        if not planned.outgoing:  # the donor has no e-mail address: the plan says so
            for left in planned.not_sent:
                flash(_("{document} was not sent: {donor} has no e-mail address; add one on "
                        "their page.", document=label, donor=left.donor or ""))  # fmt: skip
            return False
        report = send_planned(db.write, planned, MailDrafts(), actor=actor)
    except PermissionDenied:
        raise
    except DeliveryStopped as error:  # unreachable, refused the login, or sent but unrecorded
        flash(_("Sending {document} stopped: {problem}", document=label,
                problem=service_message(error)))  # fmt: skip
        return False
    except FundledgerError as error:  # no mail settings, sent before
        flash(_("{document} was not sent: {problem}", document=label,
                problem=service_message(error)))  # fmt: skip
        return False
    for attempt in report.sent:
        flash(_("Sent {document} to {recipient}.", document=label, recipient=attempt.recipient))
    for attempt in report.failed:
        flash(_("{document} could not be sent to {recipient}: {problem}", document=label,
                recipient=attempt.recipient, problem=attempt.answer))  # fmt: skip
    if report.stopped:
        flash(_("{document} was not sent: {problem}", document=label, problem=report.stopped))
    return bool(report.sent)
