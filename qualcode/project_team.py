"""The team on a PostgreSQL project: who holds which role, and blind coding, both enforced by the
server (:mod:`qualcode.store.team`); part of :class:`qualcode.Project`.

On an SQLite project every method here refuses in one line: whoever can open the file can change it.
"""

from __future__ import annotations

from qualcode.store import team as store_team


class TeamMethods:
    def team(self) -> list[dict]:
        """Who is who: name, role (coder, lead, reader), whether they have a coder row, and their
        last entry in the audit log (as far as this login may read it; a blind coder sees only
        their own)."""
        with self.store.reading() as conn:
            store_team.require_server(conn)
            people = store_team.members(conn)
            seen = store_team.last_activity(conn)
            known = set(self.coders())
        return [{**person, "coder": person["name"] in known, "last_activity": seen.get(person["name"])}
                for person in people]

    def has_login(self, name: str) -> bool:
        """Whether the server has a login called ``name`` (so adding them needs no password)."""
        with self.store.reading() as conn:
            store_team.require_server(conn)
            return store_team.login_exists(conn, name)

    def team_add(self, name: str, role: str, password: str | None = None) -> bool:
        """Give login ``name`` the role (coder, lead or reader), creating the login with
        ``password`` when the server has none by that name, and (coders and leads) the coder row
        of the same name; returns whether the login was new. Needs the project's owner.

        >>> project.team_add("anna", "coder", password="...")           # doctest: +SKIP
        True
        """
        with self.store.reading() as conn:
            store_team.require_server(conn)
        with self.store.atomic("team.add", name, {"role": role}) as conn:
            created = store_team.add_member(conn, name, role, password)
            if role != "reader":
                self.store.ensure_coder(conn, name)
        return created

    def team_remove(self, name: str) -> str:
        """Take the project's role away from ``name`` (their login, coder row and work stay);
        returns the role they held."""
        with self.store.reading() as conn:
            store_team.require_server(conn)
        with self.store.atomic("team.remove", name) as conn:
            return store_team.remove_member(conn, name)

    def set_blind(self, on: bool) -> None:
        """Make the project blind (each coder sees only their own codings, memos and log entries)
        or lift it; needs a lead."""
        with self.store.reading() as conn:
            store_team.require_server(conn)
        with self.store.atomic("team.blind", "on" if on else "off") as conn:
            store_team.set_blind(conn, on)

    def standing(self) -> store_team.Standing | None:
        """Who this login is in the project (login, role, roles on, blind); None on SQLite."""
        with self.store.reading() as conn:
            return store_team.standing(conn) if conn.dialect.name == "postgresql" else None
