"""fundledger donor list"""

from __future__ import annotations

from typing import Any

import click

from fundledger.cli.common import OUTPUT_FORMATS, Ledger, emit_csv, emit_json, emit_table
from fundledger.services.donors import DonorSummary, list_donors

DONOR_COLUMNS = ("id", "name", "email", "gifts", "first_gift", "last_gift")


def _donor_row(donor: DonorSummary) -> dict[str, Any]:
    return {
        "id": donor.id,
        "name": donor.name,
        "email": donor.email,
        "gifts": donor.gifts,
        "first_gift": donor.first_gift.isoformat() if donor.first_gift else None,
        "last_gift": donor.last_gift.isoformat() if donor.last_gift else None,
    }


@click.group()
def donor() -> None:
    """Donors, as matched by e-mail or name."""


@donor.command("list")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@click.pass_obj
def list_(ledger: Ledger, output_format: str) -> None:
    """List donors by name with their number of gifts and first and last gift dates.

    \b
    Example:
      fundledger donor list --format csv > donors.csv
    """
    rows = [_donor_row(item) for item in ledger.run(lambda session, _: list_donors(session))]
    if output_format == "json":
        emit_json(rows)
    elif output_format == "csv":
        emit_csv(rows, DONOR_COLUMNS)
    else:
        emit_table(
            [
                [str(row["id"]), row["name"], row["email"] or "", str(row["gifts"]),
                 row["first_gift"] or "", row["last_gift"] or ""]
                for row in rows
            ],
            ["ID", "NAME", "E-MAIL", "GIFTS", "FIRST", "LAST"],
            right_aligned=[0, 3],
        )  # fmt: skip
