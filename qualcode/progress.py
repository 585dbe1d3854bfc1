"""Progress of long library calls, told through a callback: the library never prints.

A :data:`Progress` is called with what is being done, how far (steps done) and out of how
many steps (None when unknown); the CLI draws it on stderr, a notebook may log it. Example::

    >>> seen = []
    >>> for batch in batches(lambda *told: seen.append(told), "scoring segments", list("abcde"), 2):
    ...     pass
    >>> seen
    [('scoring segments', 0, 5), ('scoring segments', 2, 5), ('scoring segments', 4, 5), ('scoring segments', 5, 5)]
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

Progress = Callable[[str, int, "int | None"], None]


def silent(_what: str, _done: int, _total: int | None) -> None:
    """The default: nobody is told."""


def batches(progress: Progress, what: str, items: Sequence, size: int) -> Iterator[Sequence]:
    """``items`` in slices of ``size``; ``progress`` hears how many were done before each slice
    and when all are."""
    for start in range(0, len(items), size):
        progress(what, start, len(items))
        yield items[start:start + size]
    progress(what, len(items), len(items))
