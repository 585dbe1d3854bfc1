"""A ``.qdpx`` archive read defensively: sizes capped, no path tricks, members found leniently.

Producers differ in folder case (``Sources/``), in the ``.qde`` name (ATLAS.ti names it after
the project), and in source references (``internal://<GUID>.txt``, a bare file name, a
non-GUID name). Nothing is extracted to disk; members are read into memory under caps.
"""

from __future__ import annotations

import codecs
import zipfile
from pathlib import Path, PurePosixPath

from qualcode.errors import BadFile
from qualcode.inputfile import ZIP_DAMAGE

MAX_MEMBER_BYTES = 200_000_000
MAX_TOTAL_BYTES = 1_000_000_000
MAX_RATIO = 100  # uncompressed / compressed, for members above RATIO_FLOOR
RATIO_FLOOR = 1_000_000
MAX_MEMBERS = 50_000


def _unsafe(name: str) -> bool:
    parts = name.replace("\\", "/").split("/")
    return name.startswith(("/", "\\")) or (len(name) > 1 and name[1] == ":") or ".." in parts


class Archive:
    """An open .qdpx; :meth:`read` returns a member's bytes, :meth:`find` resolves a reference."""

    def __init__(self, path: Path):
        self.path = Path(path)
        if not self.path.is_file():
            raise BadFile(self.path, "no such file; give the path of a .qdpx project")
        try:
            self.zip = zipfile.ZipFile(self.path)
            infos = [info for info in self.zip.infolist() if not info.is_dir()]
        except ZIP_DAMAGE as exc:
            raise BadFile(self.path, f"not a readable .qdpx (a .qdpx is a zip archive: {exc}); export it again") from None
        if len(infos) > MAX_MEMBERS:
            raise BadFile(self.path, f"holds {len(infos)} files, more than the {MAX_MEMBERS} qualcode reads; is this a REFI-QDA project?")
        for info in infos:
            self._check(info)
        if sum(info.file_size for info in infos) > MAX_TOTAL_BYTES:
            raise BadFile(self.path, f"unpacks to more than {MAX_TOTAL_BYTES // 1_000_000} MB; refusing a possible zip bomb")
        self.infos = [info for info in infos if not info.filename.startswith("__MACOSX/")]
        self.by_path = {info.filename.replace("\\", "/").lower(): info for info in self.infos}
        self.by_base: dict[str, list] = {}
        for info in self.infos:
            self.by_base.setdefault(PurePosixPath(info.filename.replace("\\", "/")).name.lower(), []).append(info)
        self.total = 0

    def _check(self, info) -> None:
        if _unsafe(info.filename):
            raise BadFile(self.path, f"holds a file named {info.filename!r} that points outside the archive; qualcode refuses such archives")
        if info.flag_bits & 0x1:
            raise BadFile(self.path, f"{info.filename} is encrypted; export the project again without a password")
        if info.file_size > MAX_MEMBER_BYTES:
            raise BadFile(self.path, f"{info.filename} unpacks to {info.file_size} bytes, more than the {MAX_MEMBER_BYTES // 1_000_000} MB qualcode reads; refusing a possible zip bomb")
        if info.file_size > RATIO_FLOOR and info.file_size > MAX_RATIO * max(info.compress_size, 1):
            ratio = info.file_size // max(info.compress_size, 1)
            raise BadFile(self.path, f"{info.filename} expands {ratio} times ({info.file_size} bytes); refusing a possible zip bomb")

    def project_file(self):
        """The one ``.qde`` in the archive, wherever it is and whatever it is called."""
        found = [info for info in self.infos if info.filename.lower().endswith(".qde")]
        if not found:
            raise BadFile(self.path, "holds no .qde project file, so it is no REFI-QDA project; export it again as a .qdpx project")
        if len(found) > 1:
            names = ", ".join(sorted(info.filename for info in found))
            raise BadFile(self.path, f"holds {len(found)} .qde project files ({names}); qualcode reads an archive with exactly one")
        return found[0]

    def read(self, info) -> bytes:
        """A member's bytes, counted as they are unpacked (headers can lie about sizes); a damaged
        or oddly compressed member is refused (encrypted ones were refused on opening)."""
        try:
            with self.zip.open(info) as handle:
                data = handle.read(MAX_MEMBER_BYTES + 1)
        except NotImplementedError as exc:  # an unknown compression method, patched data, strong encryption
            raise BadFile(self.path, f"{info.filename} is stored in a way qualcode cannot unpack ({exc}); export the project again") from None
        except ZIP_DAMAGE as exc:
            raise BadFile(self.path, f"{info.filename} cannot be unpacked ({exc}); the archive is damaged; copy or export it again") from None
        self.total += len(data)
        if len(data) > MAX_MEMBER_BYTES or self.total > MAX_TOTAL_BYTES:
            raise BadFile(self.path, f"{info.filename} unpacks to more than its header says; refusing a possible zip bomb")
        return data

    def find(self, reference: str | None, guid: str | None = None):
        """The member a source or note points at, or None; ``relative://``/``absolute://`` are outside."""
        reference = (reference or "").strip()
        lowered = reference.lower()
        if lowered.startswith(("relative://", "absolute://", "file://")):
            return None
        if lowered.startswith("internal://"):
            reference = reference[len("internal://"):]
        relative = reference.replace("\\", "/").lstrip("/").lower()
        if relative:
            for candidate in (f"sources/{relative}", relative):
                if candidate in self.by_path:
                    return self.by_path[candidate]
            names = [PurePosixPath(relative).name]
        else:
            key = (guid or "").strip().strip("{}").lower()
            names = [f"{key}.txt", f"{{{key}}}.txt"] if key else []
        for name in names:
            if len(self.by_base.get(name, [])) == 1:
                return self.by_base[name][0]
        return None

    def close(self) -> None:
        self.zip.close()


def decode_text(data: bytes, path: Path, member: str) -> tuple[str, bool]:
    """A source file as text, and whether it began with a byte-order mark (which is dropped)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding, name, bom = "utf-16", "UTF-16", True
    else:
        encoding, name, bom = "utf-8-sig", "UTF-8", data.startswith(codecs.BOM_UTF8)
    try:
        return data.decode(encoding), bom
    except UnicodeDecodeError as exc:
        raise BadFile(path, f"{member} is not {name} text (byte {exc.start}); save the source as UTF-8 in the other program and export again") from None
