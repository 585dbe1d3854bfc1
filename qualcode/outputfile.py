"""Files qualcode writes: private unless asked otherwise, and written whole or not at all.

Transcripts, quotes and attributes are personal data, so every file qualcode creates (the
project file, its WAL and SHM files, every export) is readable by its owner only: mode 0600,
or the mode in ``QUALCODE_FILE_MODE`` (octal, e.g. ``0640`` to share with a group) when the
team decides otherwise. ``write_atomically(out, write)`` is the one way exports reach the disk;
``create_private(path)`` makes the empty project file SQLite then fills (SQLite gives its
-wal and -shm files the mode of the database file).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from qualcode.errors import BadInput

MODE_ENV = "QUALCODE_FILE_MODE"
DEFAULT_MODE = 0o600

# Said in every export that holds quotes or attributes of the people interviewed, where the
# format has room for it without breaking its readers (see the README's "Privacy").
PERSONAL_DATA = ("personal data: quotes or attributes of research participants; keep this file private "
                 "and delete it when a participant withdraws")


def file_mode() -> int:
    """The mode of the files qualcode creates: ``QUALCODE_FILE_MODE`` (octal) or 0600."""
    given = os.environ.get(MODE_ENV, "").strip()
    if not given:
        return DEFAULT_MODE
    try:
        mode = int(given, 8)
    except ValueError:
        mode = -1
    if not 0 <= mode <= 0o777 or not mode & 0o600 == 0o600:
        raise BadInput(f"{MODE_ENV}={given!r}: give an octal file mode the owner can read and write, e.g. 0600 or 0640")
    return mode


def create_private(path: Path) -> None:
    """Create ``path`` empty with :func:`file_mode` (refusing one that exists)."""
    handle = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, file_mode())
    try:
        os.fchmod(handle, file_mode())  # the umask may have taken bits the user asked for
    finally:
        os.close(handle)


def write_atomically(out: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary file beside ``out`` (same suffix; the folder is made if
    missing), give it :func:`file_mode` and rename it to ``out``; if anything raises, the
    temporary file goes and ``out`` is untouched."""
    out = Path(out)
    mode = file_mode()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=out.parent, prefix=f".{out.name}.", suffix=out.suffix)
    os.close(handle)
    try:
        write(Path(temporary))
        os.chmod(temporary, mode)
        os.replace(temporary, out)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
