"""Logo images as the ledger keeps them: a PNG or JPEG file's bytes, checked and measured
without decoding the picture, stored as text ("image/png;base64,...") in a setting."""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import struct
from dataclasses import dataclass
from pathlib import Path

from fundledger.domain.errors import FundledgerError

LARGEST_LOGO_BYTES = 256 * 1024  # a logo is drawn a few centimetres wide
_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
# JPEG markers that start a frame and carry its size (SOF0-SOF15 but DHT, JPG and DAC).
_JPEG_FRAMES = set(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


@dataclass(frozen=True, slots=True)
class Logo:
    media_type: str  # image/png | image/jpeg
    width: int
    height: int
    data: bytes

    def to_text(self) -> str:
        return f"{self.media_type};base64,{base64.b64encode(self.data).decode('ascii')}"

    @classmethod
    def from_text(cls, text: str) -> Logo:
        _, _, encoded = text.partition(";base64,")
        try:
            data = base64.b64decode(encoded, validate=True)
        except binascii.Error:
            raise FundledgerError("the stored logo is damaged: set it again") from None
        return read_logo(data, "the stored logo")

    @property
    def digest(self) -> str:
        """SHA-256 of the image: how a receipt names the logo it was issued with."""
        return hashlib.sha256(self.data).hexdigest()

    def describe(self) -> str:
        kind = "PNG" if self.media_type == "image/png" else "JPEG"
        size = len(self.data) // 1024 or 1
        return f"{kind} image, {self.width}×{self.height} px, {size} KiB, sha256 {self.digest[:12]}"


def load_logo(path: str) -> Logo:
    """The logo at `path`, or an error saying what is wrong with it."""
    file = Path(path.strip())
    try:
        file = file.expanduser()
        if not file.exists():
            raise FundledgerError(f"cannot read {file}: no such file")
        if not file.is_file():  # not a folder, a device or a pipe that never ends
            raise FundledgerError(f"{file} is not a file")
        with file.open("rb") as opened:
            data = opened.read(LARGEST_LOGO_BYTES + 1)
    except (OSError, RuntimeError) as error:  # RuntimeError: ~user with no such user
        raise FundledgerError(f"cannot read {file}: {getattr(error, 'strerror', None) or error}"
                              ) from None  # fmt: skip
    return logo_from_bytes(data, str(file))


def logo_from_bytes(data: bytes, name: str) -> Logo:
    """The logo in `data` (a file's bytes, as read or uploaded), checked as `load_logo` checks
    a file: by its content (never its name), its size, and decoded once whole."""
    if len(data) > LARGEST_LOGO_BYTES:
        raise FundledgerError(f"{name} is larger than {LARGEST_LOGO_BYTES // 1024} KiB, the "
                              "most a logo may be (save it smaller)")  # fmt: skip
    return _decodable(read_logo(data, name), name)


def read_logo(data: bytes, name: str) -> Logo:
    """The kind and size of an image from its header (a stored logo was decoded once already,
    when it was set: reading it back for every document needs no more)."""
    try:
        if data.startswith(_PNG) and data[12:16] == b"IHDR":
            width, height = struct.unpack(">II", data[16:24])
            return _sized(Logo("image/png", width, height, data), name)
        if data.startswith(_JPEG):
            return _sized(_jpeg(data), name)
    except (struct.error, IndexError):
        pass
    raise FundledgerError(f"{name} is not a PNG or JPEG image")


def _decodable(logo: Logo, name: str) -> Logo:
    """The whole picture decoded once, as the PDF will decode it: a file that only begins
    like an image is refused now, not when a receipt is drawn."""
    try:
        from PIL import Image as PILImage  # 60 ms: only when a logo is decoded

        with PILImage.open(io.BytesIO(logo.data)) as picture:
            picture.load()
    except (OSError, ValueError, SyntaxError) as error:  # what Pillow raises for a bad file
        raise FundledgerError(f"{name} is a damaged image ({error})") from None
    return logo


def _jpeg(data: bytes) -> Logo:
    position = 2
    while position + 4 <= len(data):
        if data[position] != 0xFF:
            break
        marker = data[position + 1]
        (length,) = struct.unpack(">H", data[position + 2 : position + 4])
        if marker in _JPEG_FRAMES:
            height, width = struct.unpack(">HH", data[position + 5 : position + 9])
            return Logo("image/jpeg", width, height, data)
        position += 2 + length
    raise IndexError("no frame")


def _sized(logo: Logo, name: str) -> Logo:
    if not (0 < logo.width <= 10_000 and 0 < logo.height <= 10_000):
        raise FundledgerError(f"{name} is {logo.width}×{logo.height} px: not a usable logo")
    return logo
