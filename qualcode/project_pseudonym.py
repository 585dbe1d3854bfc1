"""``Project`` methods that pseudonymise a project and give an authorised person a copy with the
originals back (part of :class:`qualcode.Project`).

``pseudonymise`` replaces in place: the point is that the working project, its audit log and
every export made from it from then on hold no original value. ``depseudonymise`` never writes
the originals back into that project: it writes a separate copy (readable by its owner only) for
the one person allowed to see them, so the working project stays safe to share with coders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from qualcode import pseudonym_key
from qualcode import pseudonymise as pseudo
from qualcode.errors import BadFile, BadInput, UnknownItem
from qualcode.progress import Progress, silent
from qualcode.store import erase as store_erase
from qualcode.store import log as store_log
from qualcode.store import pseudonym as store_pseudonym
from qualcode.store import transfer as store_transfer
from qualcode.store.transcript import known_documents
from qualcode.store import reads


@dataclass
class PseudonymResult:
    """What a run found and (unless a dry run) did."""

    hits: list[pseudo.Hit]
    decisions: pseudo.Decisions
    dry_run: bool
    new_tags: int = 0
    documents: int = 0  # documents changed
    memos: int = 0
    audit_entries: int = 0
    scrubbed: bool = True  # False: another connection kept the old bytes in the WAL; run again
    tags: dict[str, int] = field(default_factory=dict)  # category -> tags in the key
    renamed: dict[str, str] = field(default_factory=dict)  # old document name -> new


class PseudonymMethods:
    """Pseudonymise and depseudonymise."""

    def pseudonymise(self, documents=None, *, key: str | Path | None, passphrase: str | None = None,
                     detector: pseudo.Detector | None = None, names: str | Path | None = None, keep=(), also=(),
                     decisions: str | Path | None = None, save_decisions: str | Path | None = None,
                     dry_run: bool = False, progress: Progress = silent) -> PseudonymResult:
        """Replace persons, places, organisations, dates, phone numbers, e-mail addresses, BSN,
        IBAN, postal codes and addresses in ``documents`` (all when None), their speaker labels,
        attributes, names and file metadata, every memo and the audit log with tags from the key
        file ``key`` (made when missing; encrypted with ``passphrase``), then purge the old bytes
        from the database file. ``dry_run`` only lists what would be replaced (``key`` may then
        be None). ``detector``: a loaded :class:`~qualcode.pseudonymise.Detector` (else loaded
        here, once)."""
        word_list = pseudo.read_names(Path(names)) if names else []
        saved = pseudo.Decisions.read(Path(decisions)) if decisions else None
        with self.store.reading() as conn:
            held = known_documents(conn)
            project_id = store_pseudonym.project_id(self.store, conn)
            key_id = store_pseudonym.key_id(self.store, conn)
        for name in documents or ():
            if name not in held:
                raise UnknownItem("document", name, held)
        the_key = self._key(key, passphrase, project_id, key_id, dry_run)
        with self.store.reading() as conn:
            rows = store_pseudonym.sources(conn, list(documents) if documents else None)
        detector = detector or pseudo.Detector.load(progress)
        lists = [pseudo.Candidate(entry["original"], entry["category"], "key") for entry in the_key.entries]
        found = pseudo.candidates(rows, detector, [*lists, *pseudo.project_lists(rows), *word_list], progress)
        chosen, decided = pseudo.decide(found, keep=keep, also=also, decisions=saved)
        if save_decisions:
            decided.write(Path(save_decisions))
        known_tags = len(the_key.entries)

        def planned(conn):
            fresh = pseudonym_key.Key(the_key.project, the_key.id, list(the_key.entries))
            return pseudo.plan(store_pseudonym.sources(conn, list(documents) if documents else None), chosen, fresh,
                               reads.audit_rows(conn))

        if dry_run:
            with self.store.reading() as conn:
                result = planned(conn)
            return PseudonymResult(result.hits, decided, True, new_tags=len(result.key.entries) - known_tags)
        with self.store.reading() as conn:
            preview = planned(conn)
        if not any(preview.changed.values()) and not preview.audit and len(preview.key.entries) == known_tags:
            return PseudonymResult([], decided, False, tags=_per_category(the_key))
        detail = {"documents": len(documents) if documents else "all", "key": the_key.id}
        with self.store.checked_write(planned, "pseudonymise", "project", detail) as (conn, result):
            store_pseudonym.bind_key(self.store, conn, result.key.project, result.key.id)
            store_pseudonym.rewrite(conn, result.changed)
            audited = store_log.rewrite(self.store, conn, result.audit, target="pseudonymise",
                                        detail={"reason": "names and numbers replaced by tags", "key": the_key.id})
            pseudonym_key.write(Path(key), result.key, passphrase or "")
        scrubbed = store_erase.scrub(self.store)
        old_names = {row["id"]: row["name"] for row in result.rows["documents"]}
        renamed = {old_names[row["id"]]: row["name"] for row in result.changed["documents"] if old_names[row["id"]] != row["name"]}
        return PseudonymResult(result.hits, decided, False, new_tags=len(result.key.entries) - known_tags,
                               documents=len(result.changed["documents"]), memos=len(result.changed["memos"]),
                               audit_entries=audited, scrubbed=scrubbed, tags=_per_category(result.key), renamed=renamed)

    def check_key(self, key: str | Path | None, passphrase: str | None) -> None:
        """Refuse (BadInput) a key file a pseudonymisation would refuse: a wrong passphrase, a
        damaged file, a key of another project; checked before an import writes anything."""
        with self.store.reading() as conn:
            self._key(key, passphrase, store_pseudonym.project_id(self.store, conn),
                      store_pseudonym.key_id(self.store, conn), dry_run=False)

    def _key(self, key, passphrase, project_id, key_id, dry_run: bool) -> pseudonym_key.Key:
        """The key to tag with: read from ``key`` when the file exists, else a new one, which
        only a project never pseudonymised may start (its tags would clash with the old ones)."""
        if key is not None and Path(key).exists():
            found = pseudonym_key.read(Path(key), passphrase or "", project_id or "(none yet)")
            if key_id and found.id != key_id:
                raise BadFile(key, f"not the key this project was pseudonymised with (key {found.id}, the project "
                                   f"names {key_id}); nothing changed; give that key file")
            return found
        if key_id:
            raise BadInput(f"this project was pseudonymised with key {key_id}: give that key file with --key "
                           f"({key or 'none given'} does not exist), so that tags stay the same")
        if key is None and not dry_run:
            raise BadInput("give the key file with --key FILE (made if missing): without it the originals are lost")
        if not dry_run and not passphrase:
            raise BadInput(f"give a passphrase for the new key file {key} (at the prompt, or in "
                           f"{pseudonym_key.PASSPHRASE_ENV})")
        return pseudonym_key.Key(project=project_id or pseudonym_key.new_id())

    def depseudonymise(self, *, key: str | Path, passphrase: str, to: str | Path) -> dict:
        """Write a copy of the project to ``to`` with every tag turned back into its original
        (for the person authorised to hold the key); this project stays as it is. Returns counts."""
        target = Path(to)
        if target.exists():
            raise BadInput(f"{target}: already exists; give a new file for the copy with the originals")
        with self.store.reading() as conn:
            project_id = store_pseudonym.project_id(self.store, conn)
            key_id = store_pseudonym.key_id(self.store, conn)
        if key_id is None:
            raise BadInput(f"{self.path}: this project was never pseudonymised; there is nothing to reverse")
        found = pseudonym_key.read(Path(key), passphrase, project_id)
        if found.id != key_id:
            raise BadFile(key, f"not the key this project was pseudonymised with (key {found.id}, the project names "
                               f"{key_id}); nothing changed")
        from qualcode.store import Store  # noqa: PLC0415

        store_transfer.copy_project(self.store, target)
        copy = Store.open(target, actor=self.store.actor)
        try:
            with copy.atomic("depseudonymise", "project", {"key": found.id, "from": str(self.path)}) as conn:
                changed = pseudo.transform(store_pseudonym.sources(conn), pseudo.reverse(found))
                store_pseudonym.rewrite(conn, changed)
                store_pseudonym.unbind_key(copy, conn)
        finally:
            copy.close()
        return {"copy": str(target), "documents": len(changed["documents"]), "memos": len(changed["memos"]),
                "tags": len(found.entries)}


def _per_category(key: pseudonym_key.Key) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in key.entries:
        counts[entry["category"]] = counts.get(entry["category"], 0) + 1
    return counts

