"""fundledger import profile add|list|show|remove"""

from __future__ import annotations

import click
from sqlalchemy.orm import Session

from fundledger.adapters.import_profiles import ImportProfile, parse_profile
from fundledger.cli.common import Ledger
from fundledger.domain.text import printable
from fundledger.services.context import CommandContext
from fundledger.services.import_profiles import (
    get_profile,
    list_profiles,
    remove_profile,
    save_profile,
)


@click.group("profile")
def profile_group() -> None:
    """Saved ways of reading an export: `import donations FILE --profile NAME`."""


@profile_group.command("add")
@click.argument("name")
@click.option(
    "--map",
    "mappings",
    multiple=True,
    metavar="COLUMN=FIELD",
    help="Read the file's COLUMN as FIELD, as `import donations --map`. Repeat.",
)
@click.option(
    "--date-format",
    type=click.Choice(["ISO", "DMY", "MDY"], case_sensitive=False),
    help="How the file writes dates: ISO 2025-07-03, DMY 03/07/2025, MDY 07/03/2025.",
)
@click.option("--currency", metavar="CODE", help="The currency of gifts the file gives none for.")
@click.option(
    "--ignore",
    "ignored",
    multiple=True,
    metavar="COLUMN",
    help="A column the file has that is left unread on purpose. Repeat.",
)
@click.option("--description", default="", help="What export this profile reads.")
@click.option("--reason", help="Why (kept in the audit trail), e.g. when replacing a profile.")
@click.pass_obj
def add(
    ledger: Ledger,
    name: str,
    mappings: tuple[str, ...],
    date_format: str | None,
    currency: str | None,
    ignored: tuple[str, ...],
    description: str,
    reason: str | None,
) -> None:
    """Save (or replace, as a new revision) the import profile NAME.

    \b
    Example:
      fundledger import profile add leumi --map "Value date=date" --map "Credit=amount" \\
          --map "Details=donor" --date-format DMY --currency ILS --ignore Balance
    """
    profile = parse_profile(name, mappings=mappings, date_format=date_format,
                            currency=currency, ignore=ignored, description=description)  # fmt: skip

    def work(session: Session, context: CommandContext) -> bool:
        return save_profile(session, context, profile, reason)

    replaced = ledger.run(work, write=True)
    verb = "Replaced" if replaced else "Saved"
    click.echo(f"{verb} import profile {profile.name}: {' '.join(profile.options())}")
    click.echo(f"Use it: fundledger import donations SLUG FILE --profile {profile.name}")


@profile_group.command("list")
@click.pass_obj
def list_command(ledger: Ledger) -> None:
    """The import profiles: built-in ones (for platforms' exports) and the ledger's own.

    \b
    Example:
      fundledger import profile list
    """
    profiles = ledger.run(lambda session, _context: list_profiles(session))
    width = max(len(profile.name) for profile in profiles)
    for profile in profiles:
        kind = "built-in" if profile.builtin else "saved"
        about = profile.description or " ".join(profile.options())
        click.echo(printable(f"{profile.name:<{width}}  {kind:<8}  {about}"))


@profile_group.command("show")
@click.argument("name")
@click.pass_obj
def show(ledger: Ledger, name: str) -> None:
    """What the import profile NAME reads, as the options it stands for.

    \b
    Example:
      fundledger import profile show israelgives
    """
    profile: ImportProfile = ledger.run(lambda session, _context: get_profile(session, name))
    click.echo(f"{profile.name} ({'built-in' if profile.builtin else 'saved in the ledger'})")
    if profile.description:
        click.echo(printable(profile.description))
    if profile.platform:
        click.echo(f"Read by fundledger's {profile.platform} reader (the export's own columns).")
    for option in profile.options():
        click.echo(printable(f"  {option}"))


@profile_group.command("remove")
@click.argument("name")
@click.option("--reason", required=True, help="Why (kept in the audit trail).")
@click.pass_obj
def remove(ledger: Ledger, name: str, reason: str) -> None:
    """Remove a saved import profile from now on (a revision: its history stays).

    \b
    Example:
      fundledger import profile remove leumi --reason "the bank changed its export"
    """
    ledger.run(lambda session, context: remove_profile(session, context, name, reason),
               write=True)  # fmt: skip
    click.echo(f"Removed import profile {name.strip().lower()}.")
