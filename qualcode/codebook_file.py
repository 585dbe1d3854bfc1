"""Writing the codebook back to the YAML file kept in git, changing only what changed.

``export(book, path)``: a new file is written as :func:`qualcode.codebook.dump` writes it; an
existing one is read with ruamel.yaml's round-trip loader and updated in place, so its comments,
key order, quoting and line wrapping stay: exporting over an unchanged file changes no byte, and
one changed code gives one hunk. A value counts as unchanged when it differs only in whitespace
(a folded paragraph reads back as one line). Example::

    >>> from qualcode.codebook import Codebook, Code
    >>> kept = 'title: Study  # ours\\nversion: "1.0"\\ncodes:\\n  - id: KV\\n    name: Knowledge\\n'
    >>> print(update(kept, Codebook("Study", "1.0", codes=[Code("KV", "Knowledge acquisition")])), end="")
    title: Study  # ours
    version: "1.0"
    codes:
      - id: KV
        name: Knowledge acquisition
"""

from __future__ import annotations

import io
from pathlib import Path

from qualcode.codebook import Codebook, dump
from qualcode.outputfile import write_atomically

# Where nested codes live in the file: the top level's list and each code's.
CODE_LISTS = ("codes", "children")


def _round_trip():
    from ruamel.yaml import YAML  # noqa: PLC0415 - only exporting over a kept file needs it

    yaml = YAML()  # round-trip mode: comments, order, quotes and scalar styles are kept
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096  # never rewrap: a changed value stays on its own line
    yaml.preserve_quotes = True
    return yaml


def export(book: Codebook, path: str | Path) -> None:
    """Write ``book`` to ``path``, updating an existing codebook file in place."""
    path = Path(path)
    text = update(path.read_text(encoding="utf-8"), book) if path.exists() else dump(book)
    write_atomically(path, lambda temporary: temporary.write_text(text, encoding="utf-8"))


def update(kept: str, book: Codebook) -> str:
    """The YAML text ``kept`` changed to say what ``book`` says, keeping its layout."""
    from ruamel.yaml.comments import CommentedMap  # noqa: PLC0415

    yaml = _round_trip()
    tree, fresh = yaml.load(kept), yaml.load(dump(book))
    if not isinstance(tree, CommentedMap):
        return dump(book)
    by_id = {}
    _index(tree, by_id)
    _merge(tree, fresh, by_id)
    out = io.StringIO()
    yaml.dump(tree, out)
    return out.getvalue()


def _index(node, by_id: dict) -> None:
    for key in CODE_LISTS:
        for code in node.get(key) or ():
            if hasattr(code, "get") and code.get("id") is not None:
                by_id[str(code["id"])] = code
                _index(code, by_id)


def _plain(value):
    """A value as compared: text without its wrapping, lists item by item."""
    if isinstance(value, str):
        return " ".join(value.split())
    if isinstance(value, list):
        return [_plain(item) for item in value]
    return value


def _merge(old, new, by_id: dict) -> None:
    """Make mapping ``old`` say what ``new`` says, reusing ``old``'s nodes where nothing changed."""
    for position, (key, value) in enumerate(new.items()):
        if key in CODE_LISTS:
            value = _merge_codes(old.get(key), value, by_id)
        elif key in old and _plain(old[key]) == _plain(value):
            continue
        elif key in old:
            value = _styled(old[key], value)
        if key in old:
            old[key] = value
        else:
            old.insert(_place(old, new, position), key, value)
    for key in [key for key in old if key not in new and old[key]]:
        del old[key]


def _place(old, new, position: int) -> int:
    """Where a new key goes in ``old``: after the last key that comes before it in ``new``."""
    before = list(new)[:position]
    keys = list(old)
    return max((keys.index(key) + 1 for key in before if key in old), default=0)


def _merge_codes(old_list, new_list, by_id: dict):
    from ruamel.yaml.comments import CommentedSeq  # noqa: PLC0415

    nodes = []
    for code in new_list:
        kept = by_id.pop(str(code["id"]), None)
        if kept is None:
            nodes.append(code)
        else:
            _merge(kept, code, by_id)
            nodes.append(kept)
    if old_list is not None and [id(node) for node in old_list] == [id(node) for node in nodes]:
        return old_list
    return CommentedSeq(nodes)


def _styled(old, value):
    """``value`` written the way ``old`` was: the same quotes or block style, a flow list as a flow list."""
    from ruamel.yaml.comments import CommentedSeq  # noqa: PLC0415
    from ruamel.yaml.scalarstring import ScalarString  # noqa: PLC0415

    if isinstance(value, str) and isinstance(old, ScalarString):
        return type(old)(value + "\n" if old.endswith("\n") and not value.endswith("\n") else value)
    if isinstance(value, list) and isinstance(old, list):
        olds = {_plain(item): item for item in old}
        items = CommentedSeq(olds.get(_plain(item), _styled(old[0], item) if old else item) for item in value)
        if isinstance(old, CommentedSeq) and old.fa.flow_style():
            items.fa.set_flow_style()
        return items
    return value
