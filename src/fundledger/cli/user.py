"""fundledger user add|list|disable|password|role: the people who sign in to the web interface.

At the terminal the command acts as an admin (whoever runs it holds the ledger file or its
database password), so the first admin is made here."""

from __future__ import annotations

import sys

import click

from fundledger.cli.common import OUTPUT_FORMATS, Ledger, emit_rows, emit_table, excel_option
from fundledger.domain.access import Actor, Role
from fundledger.domain.errors import FundledgerError
from fundledger.domain.settings import REPORT_LOCALES
from fundledger.services.context import CommandContext
from fundledger.services.users import (
    MIN_PASSWORD_LENGTH,
    add_user,
    checked_password,
    disable_user,
    list_users,
    set_password,
    set_role,
)

ROLES = click.Choice([role.value for role in Role], case_sensitive=False)
password_stdin_option = click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password from the first line of standard input (for scripts), instead of "
    "asking for it twice at the terminal.",
)


def terminal_actor(context: CommandContext) -> Actor:
    return Actor(context.actor, Role.ADMIN)


def read_password(from_stdin: bool) -> str:
    """The new password: the first line of standard input, or typed twice (hidden) at a
    terminal. Never an option's value: it would be left in the shell's history and in `ps`."""
    if from_stdin:
        password = sys.stdin.readline().removesuffix("\n").removesuffix("\r")
    elif sys.stdin.isatty():
        password = click.prompt(
            f"Password (at least {MIN_PASSWORD_LENGTH} characters)",
            hide_input=True,
            confirmation_prompt="Repeat the password",
            err=True,
        )
    else:
        raise FundledgerError(
            "no terminal to ask for the password on: give it on standard input with "
            "--password-stdin (e.g. `fundledger user add dana --role viewer --password-stdin "
            "< file`)"
        )
    return checked_password(password)


@click.group()
def user() -> None:
    """The people who sign in to the web interface (`fundledger serve`), and their roles."""


@user.command("add")
@click.argument("name")
@click.option(
    "--role",
    type=ROLES,
    required=True,
    help="viewer: reads reports; treasurer: also records; admin: also users, settings.",
)
@click.option(
    "--language",
    type=click.Choice(REPORT_LOCALES),
    help="The language of the pages the user sees (default: their browser's).",
)
@password_stdin_option
@click.pass_obj
def add(ledger: Ledger, name: str, role: str, language: str | None, password_stdin: bool) -> None:
    """Add the user NAME with a role and a password (asked twice, hidden).

    \b
    Example:
      fundledger user add dana --role admin
      printf '%s\\n' "$PASSWORD" | fundledger user add omar --role viewer --password-stdin
    """  # fmt: skip
    password = read_password(password_stdin)
    added = ledger.run(
        lambda session, context: add_user(
            session, context, terminal_actor(context), name, role, password, language
        ),
        write=True,
    )
    click.echo(f"user {added.name} added: {added.role}")


@user.command("list")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def list_(ledger: Ledger, output_format: str) -> None:
    """Every user, their role and whether they may sign in (never a password or its hash).

    \b
    Example:
      fundledger user list --format json
    """
    users = ledger.run(lambda session, _: list_users(session))
    rows = [
        {"name": u.name, "role": u.role.value, "active": u.active, "language": u.language,
         "changed_at": u.changed_at.isoformat(timespec="seconds"), "changed_by": u.changed_by}
        for u in users
    ]  # fmt: skip
    columns = ["name", "role", "active", "language", "changed_at", "changed_by"]
    emit_rows(
        output_format,
        rows,
        columns,
        lambda: emit_table(
            [
                [
                    str(row["name"]),
                    str(row["role"]),
                    "yes" if row["active"] else "disabled",
                    str(row["language"] or "-"),
                    str(row["changed_at"]),
                    str(row["changed_by"]),
                ]
                for row in rows
            ],
            ["NAME", "ROLE", "ACTIVE", "LANGUAGE", "CHANGED", "BY"],
        ),
    )


@user.command("disable")
@click.argument("name")
@click.pass_obj
def disable(ledger: Ledger, name: str) -> None:
    """Stop NAME signing in (their open sessions end at their next page; `user password`
    enables them again).

    \b
    Example:
      fundledger user disable omar
    """
    done = ledger.run(lambda session, context: disable_user(
        session, context, terminal_actor(context), name), write=True)  # fmt: skip
    click.echo(f"user {done.name} disabled")


@user.command("password")
@click.argument("name")
@password_stdin_option
@click.pass_obj
def password(ledger: Ledger, name: str, password_stdin: bool) -> None:
    """Give NAME a new password (asked twice, hidden); their open sessions end.

    \b
    Example:
      fundledger user password dana
    """
    new = read_password(password_stdin)
    done = ledger.run(lambda session, context: set_password(
        session, context, terminal_actor(context), name, new), write=True)  # fmt: skip
    click.echo(f"user {done.name}: new password set")


@user.command("role")
@click.argument("name")
@click.argument("role", type=ROLES, metavar="ROLE")
@click.pass_obj
def role(ledger: Ledger, name: str, role: str) -> None:
    """Give NAME the role ROLE (viewer, treasurer or admin).

    \b
    Example:
      fundledger user role omar treasurer
    """
    done = ledger.run(lambda session, context: set_role(
        session, context, terminal_actor(context), name, role), write=True)  # fmt: skip
    click.echo(f"user {done.name}: {done.role}")
