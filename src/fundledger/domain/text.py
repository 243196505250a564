"""Text that people type or files bring: refused when it holds control characters.

ESC, BEL and the other C0 and C1 controls (and DEL) are never part of a name, a note, a
reference or a setting; printed to a terminal they move the cursor, recolour or retitle it.
A note may hold a tab, and a note or an address may hold line breaks."""

from __future__ import annotations

import re

CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROLS_BUT_TAB_AND_LINES = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` is refused (its first control character, named, and where), or None. With
    `multiline`, tabs and line breaks are allowed."""
    found = (_CONTROLS_BUT_TAB_AND_LINES if multiline else CONTROLS).search(text)
    if found is None:
        return None
    code = ord(found.group())
    return (
        f"holds the control character U+{code:04X} ({_NAMES.get(code, 'a control character')}) "
        f"at position {found.start() + 1}; remove it (no control character belongs in ledger "
        "text)"
    )


def printable(text: str) -> str:
    """`text` safe for a terminal: each control character but a tab shown as \\xNN or \\uNNNN."""
    if not CONTROLS.search(text):
        return text
    return CONTROLS.sub(
        lambda match: (
            "\t"
            if match.group() == "\t"
            else match.group().encode("unicode_escape").decode("ascii")
        ),
        text,
    )


_NAMES = {0x00: "NUL", 0x07: "BEL", 0x08: "backspace", 0x09: "tab", 0x0A: "line feed",
          0x0D: "carriage return", 0x1B: "ESC", 0x7F: "DEL", 0x9B: "CSI"}  # fmt: skip


def counted(count: int, singular: str, plural: str | None = None) -> str:
    """A count with its noun in the command line's English: "1 gift", "2 gifts", "1,520
    gifts", "0 gifts"; `plural` when adding an "s" is wrong ("2 series", "3 entries")."""
    noun = singular if count == 1 else (plural or singular + "s")
    return f"{count:,} {noun}"
