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

from collections.abc import Callable, Iterable, Iterator, Sequence

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


def counted(progress: Progress, what: str, items: Iterable, total: int | None = None, every: int = 10_000) -> Iterator:
    """``items`` as they are taken; ``progress`` hears how many were taken, every ``every`` and
    when all were (for work done on a stream, such as rows checked or audit entries written).

    >>> seen = []
    >>> list(counted(lambda *told: seen.append(told), "checking rows", "abcde", every=2))
    ['a', 'b', 'c', 'd', 'e']
    >>> seen
    [('checking rows', 0, None), ('checking rows', 2, None), ('checking rows', 4, None), ('checking rows', 5, None)]
    """
    progress(what, 0, total)
    done = 0
    for done, item in enumerate(items, start=1):
        if done % every == 0:
            progress(what, done, total)
        yield item
    if done % every:
        progress(what, done, total)
