"""Logos: PNG and JPEG files measured without decoding them; anything else refused."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image

from fundledger.adapters.images import LARGEST_LOGO_BYTES, Logo, load_logo
from fundledger.domain.errors import FundledgerError


def picture(kind: str, size: tuple[int, int] = (240, 80)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (11, 110, 79)).save(buffer, format=kind)
    return buffer.getvalue()


@pytest.mark.parametrize(("kind", "media_type"), [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_a_logo_is_measured_and_kept_as_text(tmp_path: Path, kind: str, media_type: str) -> None:
    path = tmp_path / "logo"
    path.write_bytes(picture(kind, (240, 80)))
    logo = load_logo(str(path))
    assert (logo.media_type, logo.width, logo.height) == (media_type, 240, 80)
    assert Logo.from_text(logo.to_text()) == logo
    assert logo.describe().startswith(f"{kind} image, 240×80 px, 1 KiB, sha256 ")


def test_what_is_not_a_usable_logo_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a picture")
    with pytest.raises(FundledgerError, match=r"notes.txt is not a PNG or JPEG image"):
        load_logo(str(tmp_path / "notes.txt"))
    (tmp_path / "huge.png").write_bytes(picture("PNG") + b"\0" * LARGEST_LOGO_BYTES)
    with pytest.raises(FundledgerError, match=r"huge.png is larger than 256 KiB, the most"):
        load_logo(str(tmp_path / "huge.png"))
    with pytest.raises(FundledgerError, match=r"cannot read .*missing.png: no such file"):
        load_logo(str(tmp_path / "missing.png"))
    with pytest.raises(FundledgerError, match="not a PNG or JPEG image"):
        load_logo(str(_truncated(tmp_path)))
    with pytest.raises(FundledgerError, match="the stored logo is damaged"):
        Logo.from_text("image/png;base64,@@@")
    (tmp_path / "garbled.png").write_bytes(picture("PNG")[:40] + b"garbage" * 20)
    with pytest.raises(FundledgerError, match=r"garbled.png is a damaged image"):
        load_logo(str(tmp_path / "garbled.png"))
    for path, message in (
        ("/dev/zero", "/dev/zero is not a file"),
        (str(tmp_path), "not a file"),
        ("~nobody-here-at-all/x.png", "cannot read ~nobody-here-at-all"),
    ):
        with pytest.raises(FundledgerError, match=message):
            load_logo(path)


def _truncated(folder: Path) -> Path:
    path = folder / "cut.jpg"
    path.write_bytes(picture("JPEG")[:20])
    return path
