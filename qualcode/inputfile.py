"""Reading the small UTF-8 files a user hands in (codebooks, codings CSVs), refused safely.

One place for the checks every such file gets: it exists, it is not absurdly large, and it is
UTF-8 (a BOM is allowed). Each refusal is a :class:`BadFile` whose hint says what to do.
"""

from pathlib import Path

from qualcode.errors import BadFile


def read_utf8(path: Path, *, max_bytes: int, missing: str, too_large: str, kind: str) -> str:
    """The text of ``path``; ``missing`` and ``too_large`` complete the refusal messages, and
    ``kind`` names the file in "save the KIND as UTF-8"."""
    path = Path(path)
    if not path.is_file():
        raise BadFile(path, missing)
    if path.stat().st_size > max_bytes:
        raise BadFile(path, f"larger than {max_bytes // 1_000_000} MB; {too_large}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadFile(path, f"not UTF-8 text; save the {kind} as UTF-8") from None
