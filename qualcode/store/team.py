"""Roles and blind coding on a PostgreSQL project, enforced by the server (all of its SQL).

Each person is a login role that belongs to one of three group roles of the project's database
(``<database>_coder``, ``_lead``, ``_reader``); the coder row of a person is the coder whose name
is the login's name. Grants say what each group may touch; row-level security says which rows:

- ``coder``: reads documents, segments, the codebook and the coder list; reads, writes and
  deletes only their own codings, review marks and memos (``coder``/``author`` = the login);
  while the project is blind (``meta`` key ``team.blind``) reads no other coder's codings,
  review marks, memos, decisions or audit entries;
- ``lead``: reads and writes everything but the audit log, which it only appends to;
- ``reader``: reads everything, writes nothing but the audit entry of an export it makes.

The audit log is append-only for every role: nobody is granted UPDATE, DELETE or TRUNCATE on it
(and the triggers of :mod:`qualcode.store.schema` refuse them even for the owner). Its hash chain
is kept by the server once roles are on: a trigger (:data:`CHAIN_FUNCTION`, running as the
project's owner) fills in each new entry's ``prev_hash`` and ``hash`` and moves the head in
``meta``, under the writers' advisory lock. So a coder appends entries without reading anyone
else's, and never needs to write ``meta``. Coders read neither the chain columns nor the head in
``meta``: an entry's hash is a digest of its content, and the entries of a blind log are short (a
time to the second, a segment, a code), so a hash another coder's entry left behind could be
matched by trying every content. A coder's entry must name the coder as its actor (a policy), so entries
cannot be forged under another name either.

Installing (:func:`install`) and adding people (:func:`add_member`) need the project's owner or
another login that may create roles; the blind switch (:func:`set_blind`) needs a lead.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from qualcode.errors import BadInput, NotPermitted
from qualcode.store.identity import HEAD_KEY
from qualcode.store.schema import metadata

ROLES = ("coder", "lead", "reader")
BLIND_KEY = "team.blind"
ROLES_KEY = "team.roles"  # meta: set when the roles are installed; its value is the group roles' prefix (the database)

# Tables whose rows belong to one person, and the column that names them.
OWNED_BY = {"codings": "coder", "reviews": "coder", "memos": "author", "audit": "actor"}
# What a coder may do with their own rows of each (SELECT is filtered by blindness).
CODER_WRITES = {"codings": ("INSERT", "DELETE"), "reviews": ("INSERT", "DELETE"),
                "memos": ("INSERT", "UPDATE", "DELETE"), "audit": ("INSERT",)}
# The audit columns a coder reads and writes: not the hash chain (see the module docstring).
AUDIT_PLAIN_COLUMNS = ("id", "at", "actor", "action", "target", "detail")
# Read by a coder only while the project is not blind.
HIDDEN_WHILE_BLIND = ("decisions",)


# Audit actions a coder may run (on their own work); anything else that writes needs a lead.
CODER_ACTIONS = ("tag", "untag", "review", "unreview", "memo", "apply", "export")
# What a reader writes: only the audit entry of an export it made (so ``forget`` can list it).
READER_ACTIONS = ("export",)

CHAIN_FUNCTION = """
CREATE OR REPLACE FUNCTION qualcode_audit_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = {schema}, pg_temp AS $$
DECLARE
    head text;
    digest text;
BEGIN
    PERFORM pg_advisory_xact_lock({lock});
    SELECT hash INTO head FROM audit ORDER BY id DESC LIMIT 1;
    head := coalesce(head, repeat('0', 64));
    -- qualcode.auditlog.canonical: the hashed fields as compact JSON with sorted keys
    digest := encode(sha256(convert_to(
        '{{"action":' || to_json(NEW.action)::text || ',"actor":' || to_json(NEW.actor)::text
        || ',"at":' || to_json(NEW.at)::text || ',"detail":' || to_json(NEW.detail)::text
        || ',"prev_hash":' || to_json(head)::text || ',"target":' || to_json(NEW.target)::text || '}}',
        'UTF8')), 'hex');
    IF (NEW.prev_hash IS NOT NULL AND NEW.prev_hash <> head) OR (NEW.hash IS NOT NULL AND NEW.hash <> digest) THEN
        RAISE EXCEPTION 'audit entry does not continue the chain'
            USING ERRCODE = 'integrity_constraint_violation', DETAIL = 'the head is ' || head;
    END IF;
    NEW.prev_hash := head;
    NEW.hash := digest;
    INSERT INTO meta (key, value) VALUES ('{head_key}', digest)
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value;
    RETURN NEW;
END $$
"""

FUNCTIONS = (
    # Whether the project is blind. Invoker's rights: everyone may read meta.
    """CREATE OR REPLACE FUNCTION qualcode_blind() RETURNS boolean
    LANGUAGE sql STABLE SET search_path = {schema}, pg_temp AS
    $$ SELECT coalesce((SELECT value = 'on' FROM meta WHERE key = '{blind_key}'), false) $$""",
    # How far the log is (its last id), for a writer that cannot read the hashes: a write that
    # checked before the lock checks again when this moved.
    """CREATE OR REPLACE FUNCTION qualcode_audit_position() RETURNS bigint
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = {schema}, pg_temp AS
    $$ SELECT coalesce(max(id), 0)::bigint FROM audit $$""",
)


@dataclass(frozen=True)
class Standing:
    """Who this connection is in the project: the login, its role (coder, lead, reader,
    ``owner`` for the project's owner or a superuser, None for a login without a role), whether
    the roles are installed and whether the project is blind."""

    login: str
    role: str | None
    roles_on: bool
    blind: bool

    @property
    def blind_coder(self) -> bool:
        return self.roles_on and self.blind and self.role == "coder"


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def group_role(conn: sa.Connection, role: str) -> str:
    """The name of the project's group role ``role`` (one set of three per database)."""
    return f"{conn.exec_driver_sql('SELECT current_database()').scalar()}_{role}"


def _meta(conn: sa.Connection, key: str) -> str | None:
    return conn.exec_driver_sql("SELECT value FROM meta WHERE key = %(k)s", {"k": key}).scalar()


def roles_on(conn: sa.Connection) -> bool:
    """Whether the project's roles are installed (always False on SQLite)."""
    return conn.dialect.name == "postgresql" and _meta(conn, ROLES_KEY) is not None


def login_coder(conn: sa.Connection) -> str | None:
    """On a project with roles the login is the coder (its coder row has its name); else None."""
    return conn.exec_driver_sql("SELECT current_user").scalar() if roles_on(conn) else None


def standing(conn: sa.Connection) -> Standing:
    login = conn.exec_driver_sql("SELECT current_user").scalar()
    if not conn.exec_driver_sql("SELECT has_table_privilege('meta', 'SELECT')").scalar():
        return Standing(login=login, role=None, roles_on=True, blind=False)  # a login without a role here
    installed = roles_on(conn)
    if _is_owner(conn):
        role = "owner"
    else:
        role = next((name for name in ROLES if installed and conn.exec_driver_sql(
            "SELECT pg_has_role(current_user, %(g)s, 'MEMBER')", {"g": group_role(conn, name)}).scalar()), None)
    return Standing(login=login, role=role, roles_on=installed, blind=_meta(conn, BLIND_KEY) == "on")


def _is_owner(conn: sa.Connection) -> bool:
    return bool(conn.exec_driver_sql(
        "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'USAGE') FROM pg_class c, pg_roles r "
        "WHERE c.oid = to_regclass('audit') AND r.rolname = current_user").scalar())


def _tables() -> list[str]:
    return list(metadata.tables)


def _policies(groups: dict[str, str]) -> list[tuple[str, str, str]]:
    """(table, policy name, CREATE POLICY body) for every row-level policy."""
    coder, lead, reader = groups["coder"], groups["lead"], groups["reader"]
    made = []
    for table, owner in OWNED_BY.items():
        mine = f"{_quote(owner)} = current_user"
        made += [
            (table, "qualcode_lead", f"FOR ALL TO {lead} USING (true) WITH CHECK (true)"),
            (table, "qualcode_reader", f"FOR SELECT TO {reader} USING (true)"),
            (table, "qualcode_coder_read", f"FOR SELECT TO {coder} USING ({mine} OR NOT qualcode_blind())"),
        ]
        for verb in CODER_WRITES[table]:
            clause = {"INSERT": f"WITH CHECK ({mine})", "DELETE": f"USING ({mine})",
                      "UPDATE": f"USING ({mine}) WITH CHECK ({mine})"}[verb]
            made.append((table, f"qualcode_coder_{verb.lower()}", f"FOR {verb} TO {coder} {clause}"))
    exports = ", ".join(f"'{action}'" for action in READER_ACTIONS)
    made += [
        ("audit", "qualcode_reader_export",
         f"FOR INSERT TO {reader} WITH CHECK (actor = current_user AND action IN ({exports}))"),
        ("meta", "qualcode_lead", f"FOR ALL TO {lead} USING (true) WITH CHECK (true)"),
        ("meta", "qualcode_reader", f"FOR SELECT TO {reader} USING (true)"),
        ("meta", "qualcode_coder_read", f"FOR SELECT TO {coder} USING (key <> '{HEAD_KEY}')"),
    ]
    for table in HIDDEN_WHILE_BLIND:
        made += [
            (table, "qualcode_lead", f"FOR ALL TO {lead} USING (true) WITH CHECK (true)"),
            (table, "qualcode_reader", f"FOR SELECT TO {reader} USING (true)"),
            (table, "qualcode_coder_read", f"FOR SELECT TO {coder} USING (NOT qualcode_blind())"),
        ]
    return made


def _grants(conn: sa.Connection, groups: dict[str, str]) -> list[str]:
    coder, lead, reader = groups["coder"], groups["lead"], groups["reader"]
    everyone = f"{coder}, {lead}, {reader}"
    tables = _tables()
    plain = ", ".join(AUDIT_PLAIN_COLUMNS)
    written = ", ".join(column for column in AUDIT_PLAIN_COLUMNS if column != "id")
    shared = [table for table in tables if table not in OWNED_BY and table not in HIDDEN_WHILE_BLIND]
    grants = [
        f"GRANT CONNECT ON DATABASE {_quote(conn.exec_driver_sql('SELECT current_database()').scalar())} TO {everyone}",
        f"GRANT USAGE ON SCHEMA {_schema(conn)} TO {everyone}",
        f"REVOKE ALL ON {', '.join(tables)} FROM {everyone}",
        f"GRANT SELECT ON {', '.join(tables)} TO {reader}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {', '.join(t for t in tables if t != 'audit')} TO {lead}",
        f"GRANT SELECT, INSERT ON audit TO {lead}",
        f"GRANT SELECT ON {', '.join(shared + list(HIDDEN_WHILE_BLIND))} TO {coder}",
        f"GRANT SELECT ({plain}), INSERT ({written}) ON audit TO {coder}",
        f"GRANT INSERT ({written}) ON audit TO {reader}",
    ]
    grants += [f"GRANT SELECT, {', '.join(verbs)} ON {table} TO {coder}"
               for table, verbs in CODER_WRITES.items() if table != "audit"]
    serial = [table.name for table in metadata.tables.values()
              if "id" in table.c and isinstance(table.c.id.type, sa.Integer)]
    sequences = {table: conn.exec_driver_sql("SELECT pg_get_serial_sequence(%(t)s, 'id')", {"t": table}).scalar()
                 for table in serial}
    grants.append(f"GRANT USAGE ON SEQUENCE {', '.join(sequences.values())} TO {lead}")
    coder_sequences = ", ".join(name for table, name in sequences.items() if table in CODER_WRITES)
    grants.append(f"GRANT USAGE ON SEQUENCE {coder_sequences} TO {coder}")
    grants.append(f"GRANT USAGE ON SEQUENCE {sequences['audit']} TO {reader}")
    return grants


def _schema(conn: sa.Connection) -> str:
    return _quote(conn.exec_driver_sql("SELECT current_schema()").scalar())


def install(conn: sa.Connection) -> dict[str, str]:
    """Create (or bring up to date) the group roles, grants, policies and the chain trigger;
    returns the group role of each role name. Safe to run again: a schema migration that added
    a table is covered by running it once more."""
    groups = {}
    for role in ROLES:
        name = group_role(conn, role)
        if not login_exists(conn, name):
            conn.exec_driver_sql(f"CREATE ROLE {_quote(name)} NOLOGIN")
        groups[role] = _quote(name)
    from qualcode.store.core import SERVER_WRITE_LOCK  # noqa: PLC0415 - core imports this module

    schema = _schema(conn)
    for function in FUNCTIONS:
        conn.exec_driver_sql(function.format(schema=schema, blind_key=BLIND_KEY))
    conn.exec_driver_sql(CHAIN_FUNCTION.format(schema=schema, lock=SERVER_WRITE_LOCK, head_key=HEAD_KEY))
    conn.exec_driver_sql("DROP TRIGGER IF EXISTS qualcode_audit_chain ON audit")
    conn.exec_driver_sql("CREATE TRIGGER qualcode_audit_chain BEFORE INSERT ON audit FOR EACH ROW "
                         "EXECUTE FUNCTION qualcode_audit_chain()")
    for statement in _grants(conn, groups):
        conn.exec_driver_sql(statement)
    for function in ("qualcode_audit_position()", "qualcode_audit_chain()"):
        conn.exec_driver_sql(f"REVOKE ALL ON FUNCTION {function} FROM PUBLIC")
    conn.exec_driver_sql(f"GRANT EXECUTE ON FUNCTION qualcode_audit_position() TO {', '.join(groups.values())}")
    for table in {*OWNED_BY, *HIDDEN_WHILE_BLIND, "meta"}:
        conn.exec_driver_sql(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    for table, name, body in _policies(groups):
        conn.exec_driver_sql(f"DROP POLICY IF EXISTS {name} ON {table}")
        conn.exec_driver_sql(f"CREATE POLICY {name} ON {table} {body}")
    _set_meta(conn, ROLES_KEY, conn.exec_driver_sql("SELECT current_database()").scalar())
    if _meta(conn, BLIND_KEY) is None:
        _set_meta(conn, BLIND_KEY, "off")
    return {role: name.strip('"') for role, name in groups.items()}


def _set_meta(conn: sa.Connection, key: str, value: str) -> None:
    conn.exec_driver_sql("INSERT INTO meta (key, value) VALUES (%(k)s, %(v)s) "
                         "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value", {"k": key, "v": value})


def require_server(conn: sa.Connection) -> None:
    if conn.dialect.name != "postgresql":
        raise BadInput("roles need a PostgreSQL project: this one is an SQLite file, where whoever can open "
                       "the file can change it ('qualcode copy' moves it to a server)")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise BadInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")


def _may_create_roles(conn: sa.Connection) -> bool:
    return bool(conn.exec_driver_sql(
        "SELECT rolsuper OR rolcreaterole FROM pg_roles WHERE rolname = current_user").scalar())


def _refuse_unless_admin(conn: sa.Connection, what: str) -> None:
    """Roles are made by the owner of the project's tables (policies and triggers need the
    owner) on a login that may create roles, or by a superuser."""
    if not (_is_owner(conn) and _may_create_roles(conn)):
        login = conn.exec_driver_sql("SELECT current_user").scalar()
        raise NotPermitted(f"{what} needs the project's owner on a login that may create roles (CREATEROLE), or a "
                           f"superuser; {login} is neither: ask whoever ran 'qualcode init --database'")


def login_exists(conn: sa.Connection, name: str) -> bool:
    return conn.exec_driver_sql("SELECT 1 FROM pg_roles WHERE rolname = %(n)s", {"n": name}).first() is not None


def add_member(conn: sa.Connection, name: str, role: str, password: str | None) -> bool:
    """Give login ``name`` the project's ``role`` (creating the login with ``password`` when it
    does not exist, and the coder row of the same name); a person holds one role per project,
    so another role they held here is taken away. Returns whether the login was new."""
    require_server(conn)
    _check_role(role)
    _refuse_unless_admin(conn, "adding a person")
    groups = install(conn)
    exists = login_exists(conn, name)
    if exists and name in groups.values():
        raise BadInput(f"{name!r} is one of the project's group roles, not a person; pick the person's own login")
    if not exists:
        if not password:
            raise BadInput(f"{name} has no login on this server yet: give a password (asked at the prompt, "
                           f"or in QUALCODE_PASSWORD)")
        conn.exec_driver_sql(f"CREATE ROLE {_quote(name)} LOGIN PASSWORD {_literal(password)}")
    elif password:
        conn.exec_driver_sql(f"ALTER ROLE {_quote(name)} PASSWORD {_literal(password)}")
    for other, group in groups.items():
        verb = "GRANT {} TO {}" if other == role else "REVOKE {} FROM {}"
        conn.exec_driver_sql(verb.format(_quote(group), _quote(name)))
    return not exists


def remove_member(conn: sa.Connection, name: str) -> str:
    """Take the project's role away from ``name``; the login stays (it may belong to other
    projects on the server), and so do the person's coder row and work. Returns the role held."""
    require_server(conn)
    _refuse_unless_admin(conn, "removing a person")
    held = {row["name"]: row["role"] for row in members(conn)}
    if name not in held:
        from qualcode.errors import UnknownItem  # noqa: PLC0415 - only this refusal needs it

        raise UnknownItem("team member", name, held)
    conn.exec_driver_sql(f"REVOKE {_quote(group_role(conn, held[name]))} FROM {_quote(name)}")
    return held[name]


def members(conn: sa.Connection) -> list[dict]:
    """Every login with a role in the project, by name: name, role."""
    groups = {group_role(conn, role): role for role in ROLES}
    rows = conn.exec_driver_sql(
        "SELECT m.rolname, g.rolname FROM pg_auth_members a JOIN pg_roles g ON g.oid = a.roleid "
        "JOIN pg_roles m ON m.oid = a.member WHERE g.rolname = ANY(%(g)s) ORDER BY m.rolname",
        {"g": list(groups)}).all()
    return [{"name": member, "role": groups[group]} for member, group in rows]


def set_blind(conn: sa.Connection, on: bool) -> None:
    """Make the project blind (coders see only their own work) or lift it; a lead's write."""
    require_server(conn)
    if not roles_on(conn):
        raise BadInput("blind coding on the server needs the roles: add the team first "
                       "('qualcode team add NAME --role coder')")
    found = standing(conn)
    if found.role not in ("lead", "owner"):
        raise NotPermitted(refusal_text(found, "team.blind"))
    _set_meta(conn, BLIND_KEY, "on" if on else "off")


def audit_position(conn: sa.Connection) -> int:
    """The last audit entry's id, readable by every role: what a write compares to see whether
    another writer came in between."""
    return conn.exec_driver_sql("SELECT qualcode_audit_position()").scalar()


def refuse_blind_coder(conn: sa.Connection, what: str) -> None:
    """NotPermitted for a coder while the project is blind: ``what`` reads other coders' work."""
    if not roles_on(conn):
        return
    found = standing(conn)
    if found.blind_coder:
        raise NotPermitted(f"{what} reads other coders' work, which needs the lead role while the project is "
                           f"blind; {found.login} is a coder in this project")


def refuse_unless_permitted(conn: sa.Connection, action: str) -> None:
    """NotPermitted before a write the server would refuse this login anyway: a reader's, or a
    coder's that is not work of their own (so a long check or computation is not done for
    nothing, and the message names the role). Only on a project with roles."""
    found = standing(conn)
    if found.role is None or (found.role == "reader" and action not in READER_ACTIONS) or (
            found.role == "coder" and action not in CODER_ACTIONS):
        raise NotPermitted(refusal_text(found, action))


def refusal_text(found: Standing, action: str | None) -> str:
    """One line for a write (``action``) or a read (None) the server refused: who the login is
    and the role needed."""
    if found.role is None:
        return (f"{found.login} has no role in this project; the project's owner adds one with "
                f"'qualcode team add {found.login} --role coder' (or lead, or reader)")
    if action is None:
        return f"{found.login} is a {found.role} in this project; reading this needs the lead or reader role"
    if found.role == "coder" and action in CODER_ACTIONS:
        return (f"{found.login} is a coder in this project and writes only their own codings, reviews and memos; "
                f"'{action}' for another coder needs the lead role")
    needed = "coder or lead" if found.role == "reader" and action in CODER_ACTIONS else "lead"
    return f"'{action}' needs the {needed} role; {found.login} is a {found.role} in this project"


def is_refusal(exc: sa.exc.DBAPIError) -> bool:
    """Whether the server refused for lack of privilege (a grant or a row-level policy)."""
    return getattr(exc.orig, "sqlstate", None) == "42501"


def reads_chain(conn: sa.Connection) -> bool:
    """Whether this login may read the audit log's hashes (a coder on a server project may not)."""
    return conn.dialect.name != "postgresql" or bool(
        conn.exec_driver_sql("SELECT has_column_privilege('audit', 'hash', 'SELECT')").scalar())


def last_activity(conn: sa.Connection) -> dict[str, str]:
    """Each actor's latest audit entry time, as far as this login may read the log."""
    return dict(conn.exec_driver_sql("SELECT actor, max(at) FROM audit GROUP BY actor").all())
