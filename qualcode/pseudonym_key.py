"""The pseudonymisation key: tag -> original, in a file of its own, encrypted with a passphrase.

``read(path, passphrase, project_id) -> Key`` and ``write(path, key, passphrase)``. The file is
JSON: the format name, the project id and key id in clear (so a key from another project is
named as such before any passphrase is tried), a random salt, and a Fernet token (AES-128-CBC
with HMAC-SHA256, from the ``cryptography`` package) whose key is derived from the passphrase
with Scrypt. The token holds the project id and key id again, so the clear copies cannot be
swapped unseen. The key never goes into the project. Example::

    >>> key = Key(project="p1", id="k1", entries=[{"tag": "[PERSOON-1]", "original": "Eva", "category": "PERSOON"}])
    >>> key.tag_for("Eva"), key.next_tag("PERSOON")
    ('[PERSOON-1]', '[PERSOON-2]')
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from qualcode.errors import BadFile, BadInput

FORMAT = "qualcode-pseudonym-key"
VERSION = 1
PASSPHRASE_ENV = "QUALCODE_KEY_PASSPHRASE"
# Scrypt cost: about 0.1 s per derivation here, so guessing passphrases is slow.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass
class Key:
    """Which tag stands for which original, for one project; ``entries`` in the order made."""

    project: str
    id: str = field(default_factory=new_id)
    entries: list[dict] = field(default_factory=list)  # {"tag", "original", "category"}

    def tag_for(self, original: str) -> str | None:
        return next((entry["tag"] for entry in self.entries if entry["original"] == original), None)

    def next_tag(self, category: str) -> str:
        used = sum(entry["category"] == category for entry in self.entries)
        return f"[{category}-{used + 1}]"

    def add(self, original: str, category: str) -> str:
        """The tag of ``original``, made now if it has none (numbered per category)."""
        tag = self.tag_for(original)
        if tag is None:
            tag = self.next_tag(category)
            self.entries.append({"tag": tag, "original": original, "category": category})
        return tag

    def originals(self) -> dict[str, str]:
        """tag -> original."""
        return {entry["tag"]: entry["original"] for entry in self.entries}


def _fernet(passphrase: str, salt: bytes):
    from cryptography.fernet import Fernet  # noqa: PLC0415 - only commands that touch a key need it
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt  # noqa: PLC0415

    derived = Scrypt(salt=salt, length=32, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P).derive(passphrase.encode("utf-8"))
    return Fernet(base64.urlsafe_b64encode(derived))


def write(path: Path, key: Key, passphrase: str) -> None:
    """Write ``key`` encrypted, readable by the owner only, replacing the file in one step."""
    if not passphrase:
        raise BadInput(f"{path}: an empty passphrase protects nothing; give one at the prompt or in {PASSPHRASE_ENV}")
    salt = secrets.token_bytes(16)
    inner = json.dumps({"project": key.project, "id": key.id, "entries": key.entries}, ensure_ascii=False)
    document = {"format": FORMAT, "version": VERSION, "project": key.project, "id": key.id,
                "salt": base64.b64encode(salt).decode("ascii"),
                "token": _fernet(passphrase, salt).encrypt(inner.encode("utf-8")).decode("ascii")}
    path = Path(path)
    temporary = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(document, handle, indent=1)
    os.replace(temporary, path)


def read(path: Path, passphrase: str, project_id: str) -> Key:
    """The key in ``path`` for project ``project_id``: BadFile for a damaged file, a key of
    another project, or a wrong passphrase; the project is never touched before this."""
    from cryptography.fernet import InvalidToken  # noqa: PLC0415 - only commands that touch a key need it

    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        salt = base64.b64decode(document["salt"], validate=True)
        token, project, key_id = document["token"], document["project"], document["id"]
        if document.get("format") != FORMAT or not isinstance(token, str):
            raise ValueError(document.get("format"))
    except FileNotFoundError:
        raise BadFile(path, "no such key file; give the key file this project was pseudonymised with") from None
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError):
        raise BadFile(path, "not a readable qualcode key file (damaged or another kind of file); "
                            "nothing changed; use your backup copy of the key") from None
    if project != project_id:
        raise BadFile(path, f"this key belongs to another project ({project}, not {project_id}); nothing changed; "
                            "give the key made for this project")
    try:
        inner = json.loads(_fernet(passphrase, salt).decrypt(token.encode("ascii")))
    except (InvalidToken, ValueError, UnicodeError):
        raise BadFile(path, "wrong passphrase, or the key file was damaged; nothing changed") from None
    if inner.get("project") != project or inner.get("id") != key_id:
        raise BadFile(path, "the key file's clear header does not match its encrypted content (edited?); nothing changed")
    return Key(project=project, id=key_id, entries=list(inner["entries"]))
