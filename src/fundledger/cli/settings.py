"""fundledger settings set|unset|show"""

from __future__ import annotations

import click

from fundledger.cli.common import OUTPUT_FORMATS, Ledger, emit_rows, emit_table, excel_option
from fundledger.services.settings import (
    SETTINGS,
    declaration,
    set_setting,
    settings_shown,
    shown_value,
)


class SettingKeyType(click.ParamType[str]):
    """A declared key, or one year of a yearly key (tax.section46.minimum.2027): a Choice
    cannot list every year."""

    name = "key"

    def convert(self, value: str, param: click.Parameter | None, ctx: click.Context | None) -> str:
        if declaration(value) is None:
            self.fail(f"{value!r} is not a setting: choose from {', '.join(sorted(SETTINGS))} "
                      "(YEAR: four digits)", param, ctx)  # fmt: skip
        return value

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[click.shell_completion.CompletionItem]:
        return [click.shell_completion.CompletionItem(key) for key in sorted(SETTINGS)
                if key.startswith(incomplete)]  # fmt: skip


SETTING_KEY = SettingKeyType()


@click.group()
def settings() -> None:
    """What the ledger's documents say about the organisation."""


# A value may begin with a minus sign ("-1"): it is the value, never an option.
@settings.command("set", context_settings={"ignore_unknown_options": True})
@click.argument("key", type=SETTING_KEY, metavar="KEY")
@click.argument("value")
@click.pass_obj
def set_(ledger: Ledger, key: str, value: str) -> None:
    """Give setting KEY the value VALUE (the old value stays in the history).

    \b
    Example:
      fundledger settings set organisation.name.he "עומדים ביחד"
      fundledger settings set tax.section46.minimum.2027 215
    """
    stored = ledger.run(
        lambda session, context: set_setting(session, context, key, value), write=True
    )
    click.echo(f"{key} = {shown_value(key, stored or '')}")


@settings.command("unset")
@click.argument("key", type=SETTING_KEY, metavar="KEY")
@click.pass_obj
def unset(ledger: Ledger, key: str) -> None:
    """Clear setting KEY.

    \b
    Example:
      fundledger settings unset report.locale
      fundledger settings unset tax.section46.minimum.2027
    """
    ledger.run(lambda session, context: set_setting(session, context, key, None), write=True)
    click.echo(f"{key} cleared")


@settings.command("show")
@click.option("--format", "output_format", type=OUTPUT_FORMATS, default="table", show_default=True)
@excel_option
@click.pass_obj
def show(ledger: Ledger, output_format: str) -> None:
    """Every setting, its value (if any) and what it means.

    \b
    Example:
      fundledger settings show --format json
    """
    shown = ledger.run(lambda session, _: settings_shown(session))
    rows = [{"key": each.key, "value": each.value, "meaning": each.meaning} for each in shown]
    emit_rows(
        output_format,
        rows,
        ["key", "value", "meaning"],
        lambda: emit_table(
            [[str(row["key"]), str(row["value"] or "-"), str(row["meaning"])] for row in rows],
            ["KEY", "VALUE", "MEANING"],
        ),
    )
