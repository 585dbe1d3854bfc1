"""Real transcript files for the tests: Word documents built with python-docx, text as bytes."""

import io
import zipfile

import docx

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def docx_file(path, paragraphs=(), *, table=None, header=None, footer=None, title=None):
    """Write a .docx. A paragraph is a string (``\\n`` becomes a line break) or a list of
    ``(text, bold)`` runs; ``table`` is a list of rows (lists of cell strings, a cell may hold
    ``\\n`` for separate paragraphs, or a list of runs)."""
    document = docx.Document()
    if title:
        document.core_properties.title = title
    section = document.sections[0]
    if header:
        section.header.paragraphs[0].text = header
    if footer:
        section.footer.paragraphs[0].text = footer
    for paragraph in paragraphs:
        _runs(document.add_paragraph(), paragraph)
    if table:
        grid = document.add_table(rows=0, cols=max(len(r) for r in table))
        for row in table:
            cells = grid.add_row().cells
            for cell, value in zip(cells, row):
                if isinstance(value, list):
                    _runs(cell.paragraphs[0], value)
                    continue
                for i, part in enumerate(value.split("\n")):
                    (cell.paragraphs[0] if i == 0 else cell.add_paragraph()).add_run(part)
    document.save(path)
    return path


def _runs(paragraph, value):
    runs = [(value, False)] if isinstance(value, str) else value
    for text, bold in runs:
        for i, line in enumerate(text.split("\n")):
            run = paragraph.add_run()
            if i:
                run.add_break()
            if "\t" in line:
                for j, piece in enumerate(line.split("\t")):
                    if j:
                        run.add_tab()
                    run.add_text(piece)
            else:
                run.add_text(line)
            run.bold = bold or None


def replace_part(path, part, transform):
    """Rewrite one part of a .docx (e.g. to add a DOCTYPE to word/document.xml)."""
    with zipfile.ZipFile(path) as packed:
        members = {item.filename: packed.read(item.filename) for item in packed.infolist()}
    members[part] = transform(members[part])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in members.items():
            out.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def ole_file(path, *, encrypted):
    """A compound-file (OLE) container like Word writes for .doc and for password-protected .docx."""
    directory = "EncryptionInfo".encode("utf-16-le") if encrypted else "WordDocument".encode("utf-16-le")
    path.write_bytes(OLE_MAGIC + b"\x00" * 504 + directory + b"\x00" * 1024)
    return path
