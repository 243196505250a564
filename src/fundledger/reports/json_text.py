"""JSON text as fundledger prints it, wherever it goes (a terminal, a file, a web response)."""

from __future__ import annotations

import json
import re
from typing import Any

# JSON escapes the C0 controls itself but not DEL and the C1 controls (CSI, U+009B, starts an
# escape sequence on some terminals); outside strings JSON has none of them.
_RAW_IN_JSON = re.compile(r"[\x7f-\x9f]")


def json_text(data: Any) -> str:
    """JSON for people and programs alike: UTF-8 text, with no raw control character."""
    text = json.dumps(data, ensure_ascii=False, indent=2)
    return _RAW_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
