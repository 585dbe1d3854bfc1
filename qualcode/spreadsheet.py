"""Cells a spreadsheet shows and never runs: the one guard against formula injection.

Excel, LibreOffice and Google Sheets run a cell that starts with ``=``, ``+``, ``-`` or ``@``
(and, after a tab or carriage return, whatever follows) as a formula, so a code name, an
attribute value or a respondent's words such as ``=cmd|' /C calc'!A0`` would run on the
reader's machine. Following the OWASP guidance on CSV injection, every CSV writer passes its
cells through :func:`csv_cell` (such text gets a leading single quote) and every .xlsx writer
through :func:`xlsx_cell` (a string cell, never a formula). Numbers stay numbers, a negative
number included, also when it comes as text (``-2``; ``+1`` and ``-2+3`` are escaped). ``raw=True`` writes CSV text as it is, for pipelines that
need the exact bytes; :func:`unescape` undoes :func:`csv_cell` when qualcode reads its own CSV
back. Example::

    >>> csv_cell("=SUM(A1)"), csv_cell(-2), csv_cell("-2"), csv_cell("-2+3"), csv_cell("-2+3", raw=True)
    ("'=SUM(A1)", -2, '-2', "'-2+3", '-2+3')
"""

from __future__ import annotations

import re

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # what XML 1.0 cannot hold at all
NEGATIVE_NUMBER = re.compile(r"-[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?", re.ASCII)  # -2, -1.5, -1e-05


def csv_cell(value, raw: bool = False):
    """``value`` with a single quote in front when it is text a spreadsheet would run; a
    negative number written as text (an attribute value such as ``-2``) is a number, not a formula."""
    if (not raw and isinstance(value, str) and value.startswith(FORMULA_STARTS)
            and not NEGATIVE_NUMBER.fullmatch(value)):
        return "'" + value
    return value


def csv_row(row, raw: bool = False):
    """:func:`csv_cell` over a dict's values or a list's items."""
    if isinstance(row, dict):
        return {key: csv_cell(value, raw) for key, value in row.items()}
    return [csv_cell(value, raw) for value in row]


def unescape(text: str) -> str:
    """The text :func:`csv_cell` was given: ``'=x`` becomes ``=x``; other text is unchanged."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def printable(text: str) -> str:
    """``text`` with the control characters an .xlsx or .docx (XML) cannot hold replaced by
    U+FFFD, so a stray vertical tab or NUL in a transcript never stops an export."""
    return XML_ILLEGAL.sub("\ufffd", text)


def xlsx_cell(sheet, value):
    """An openpyxl cell for ``sheet``: text is always a string cell, so ``=x`` is the text
    ``=x`` and never a formula; other values are left to openpyxl (numbers stay numbers)."""
    from openpyxl.cell import WriteOnlyCell  # noqa: PLC0415 - only .xlsx writers need it

    if isinstance(value, str):
        cell = WriteOnlyCell(sheet, printable(value))
        cell.data_type = "s"
        return cell
    return WriteOnlyCell(sheet, value)


def xlsx_row(sheet, row) -> list:
    """:func:`xlsx_cell` over a row, ready for ``sheet.append``."""
    return [xlsx_cell(sheet, value) for value in row]
