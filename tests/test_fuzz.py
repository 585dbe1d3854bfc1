"""Fuzzing every kind of file qualcode reads: seeded, bounded, in-process.

A few hundred files are made from the bundled samples and small fixtures by mutating bytes
(flips, nasty insertions, cuts, doubled slices), both on the archive as a whole and on the XML
inside it (re-zipped, so the parser is reached past the CRC). Each must give exit 0, or exit 2
with a one-line refusal and no traceback; a refused file leaves the project's bytes as they were.
A failure names the seed and case, and the file is kept in the test's tmp folder to reproduce it.
"""

import io
import random
import re
import shutil
import zipfile

import pytest
from click.testing import CliRunner

from conftest import CODEBOOK, TRANSCRIPTS

SEED = 20261128
CASES = 40  # per kind; six kinds: 240 files, about 280 runs

NASTY = [
    b'"', b"'", b":", b": ", b"\x00", b"\x07", b"\xef\xbb\xbf", b"\xff\xfe", b"&a ", b"*a", b"[", b"{", b"}", b"\r",
    b"\t", b";", b",", "\u0663".encode(), b"-->", b"<v ", b"=cmd|' /C calc'!A0", b"\n", b"\n\n", b"<!DOCTYPE x>",
    b"<!ENTITY e 'x'>", b"&e;", b"</w:p>", b"<w:p>", b"<w:sdt>", b"]]>", b"\xc3", b"\xe2\x80\xa8", b"- ", b"  ", b"#",
    b"00:00:01.000 --> 00:00:02.000\n", b"R: ", b"I: ",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    """One to three random edits: flip a byte, insert a nasty token, cut a slice, double a
    slice, or truncate."""
    data = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(data) + 1)
        edit = rng.choice(("flip", "insert", "insert", "cut", "double", "truncate"))
        if edit == "flip" and data:
            data[min(at, len(data) - 1)] = rng.randrange(256)
        elif edit == "insert":
            data[at:at] = rng.choice(NASTY)
        elif edit == "cut":
            del data[at:at + rng.randint(1, 64)]
        elif edit == "double":
            data[at:at] = data[at:at + rng.randint(1, 256)]
        elif edit == "truncate" and rng.random() < 0.3:
            del data[at:]
    return bytes(data)


READ_MEMBERS = {  # the members qualcode reads, by archive kind: mutating others tests nothing
    ".docx": re.compile(r"word/document\.xml|word/(header|footer)\d*\.xml|docProps/core\.xml"),
    ".qdpx": re.compile(r".*\.(qde|txt)", re.IGNORECASE),
}


def mutate_archive(data: bytes, rng: random.Random, kind: str) -> bytes:
    """Half the time the archive's bytes; otherwise one member qualcode reads, mutated and re-zipped."""
    if rng.random() < 0.5:
        return mutate(data, rng)
    with zipfile.ZipFile(io.BytesIO(data)) as packed:
        members = [(info, packed.read(info)) for info in packed.infolist()]
    target = rng.choice([i for i, (info, _) in enumerate(members) if READ_MEMBERS[kind].fullmatch(info.filename)])
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as out:
        for i, (info, body) in enumerate(members):
            out.writestr(info.filename, mutate(body, rng) if i == target else body)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def materials(backend, tmp_path_factory):
    """The base files: samples, a small .qdpx of qualcode's own, a small codebook and CSVs."""
    from qualcode import Project

    folder = tmp_path_factory.mktemp("materials")
    source = folder / "exchanged.txt"  # a name the target project does not have yet
    source.write_bytes((TRANSCRIPTS / "mg-veenstad-02.txt").read_bytes())
    with Project.init(folder / "source", codebook=CODEBOOK) as project:
        project.import_files([source])
        project.tag("exchanged:1", ["KV-LEER", "KG-REL"], coder="anna")
        project.add_memo("Mooi citaat", segment="exchanged:1", author="anna")
        project.export_refi_project(folder / "small.qdpx")
    codebook_text = CODEBOOK.read_text(encoding="utf-8")
    small_codebook = codebook_text[:codebook_text.index("\n  - id: KT")] + "\n"  # the first dimension only
    return {
        ".docx": [p.read_bytes() for p in sorted(TRANSCRIPTS.glob("*.docx"))],
        ".vtt": [(TRANSCRIPTS / "cl-maasdelta-02.vtt").read_bytes()],
        ".txt": [(TRANSCRIPTS / "mg-veenstad-02.txt").read_bytes()],
        ".qdpx": [(folder / "small.qdpx").read_bytes()],
        ".yaml": [small_codebook.encode("utf-8")],
        ".csv": [b"document,segment,coder,code,memo\nmg-veenstad-02,1,anna,KV-LEER,Mooi\nmg-veenstad-02,2,bram,,\n",
                 b"\xef\xbb\xbffile;role;age\nmg-veenstad-02.txt;client;41\n"],
    }


@pytest.fixture
def target(tmp_path):
    """A project to import into, with one transcript (so codings CSVs have something to hit)."""
    from qualcode import Project

    with Project.init(tmp_path / "target", codebook=CODEBOOK) as project:
        project.import_files([TRANSCRIPTS / "mg-veenstad-02.txt"])
    return tmp_path / "target"


def _commands(kind: str, path, base: bytes, project):
    where = ("--project", str(project))
    if kind == ".yaml":
        return [("codebook", "check", str(path)), ("codebook", "load", str(path), *where)]
    if kind == ".csv" and base.startswith(b"document"):
        return [("apply", str(path), *where)]
    if kind == ".csv":
        return [("import", str(TRANSCRIPTS / "mg-veenstad-02.txt"), "--attributes", str(path), "--replace", *where)]
    return [("import", str(path), *where)]


def _project_bytes(project) -> bytes:
    return b"".join(p.read_bytes() for p in sorted(project.glob("qualcode.sqlite*")))


@pytest.mark.sqlite_only(reason="compares the SQLite file's bytes before and after each refused file")
@pytest.mark.parametrize("kind", [".docx", ".vtt", ".txt", ".qdpx", ".yaml", ".csv"])
def test_mutated_files_are_read_or_refused_in_one_line(materials, target, tmp_path, kind):
    from qualcode.cli import cli

    rng = random.Random(f"{SEED}{kind}")
    runner = CliRunner()
    for case in range(CASES):
        base = rng.choice(materials[kind])
        data = mutate_archive(base, rng, kind) if kind in READ_MEMBERS else mutate(base, rng)
        path = tmp_path / f"case-{case}{kind}"
        path.write_bytes(data)
        project = target
        if kind == ".qdpx":  # a fresh copy each time: one imported .qdpx would make the next a name clash
            project = tmp_path / f"project-{case}"
            shutil.copytree(target, project)
        for args in _commands(kind, path, base, project):
            before = _project_bytes(project)
            result = runner.invoke(cli, args)
            where = f"seed {SEED}, {kind} case {case} ({path}): {' '.join(args[:2])}"
            assert result.exception is None or isinstance(result.exception, SystemExit), (where, repr(result.exception))
            assert "Traceback" not in result.output, where
            assert result.exit_code in (0, 2), (where, result.output)
            if result.exit_code == 0:
                continue
            stderr = result.stderr.splitlines()
            if args[:2] == ("codebook", "check") and not stderr[0].startswith("qualcode: "):
                assert all(line.startswith(f"{path}:") for line in stderr), (where, stderr)  # one line per problem
            else:
                assert len([line for line in stderr if line.startswith("qualcode: error: ")]) == 1, (where, stderr)
                assert all(line.startswith("qualcode: ") for line in stderr), (where, stderr)
            assert _project_bytes(project) == before, where


EDGE_CODEBOOKS = [
    "", "---\n", "codes:\n  - &a {id: KV, name: x}\n  - *a\n", "codes: [" * 60 + "]" * 60, "codes:\n\t- id: KV\n",
    "codes:\n  - id: KV\n    name: a\x85b\n", "codes:\n  - id: KV\n    name: a\u2028b\n", "%YAML 1.2\n---\ncodes: []\n",
    "codes: []\n---\ncodes: []\n", "codes:\n  - id: KV\n    id: KT\n    name: dubbel\n", "codes:\n  - id: KV\n    name: \x07\n",
    "\ufeffcodes:\n  - {id: KV, name: x}\n", "codes:\n  - id: KV\n    name: 'open\n",
]


def test_libyaml_and_the_python_parser_read_every_codebook_alike(materials, monkeypatch):
    """The codebook is read by libyaml when PyYAML has it: the same codebook, warnings and
    problems (with their lines) as the pure-Python parser gives, for the shipped codebook, odd
    YAML and mutated codebooks."""
    import yaml

    from qualcode import codebook

    if not getattr(yaml, "__with_libyaml__", False):
        pytest.skip("this PyYAML has no libyaml: codebooks are read by the Python parser alone")
    rng = random.Random(f"{SEED}libyaml")
    texts = [CODEBOOK.read_text(encoding="utf-8"), *EDGE_CODEBOOKS]
    texts += [mutate(materials[".yaml"][0], rng).decode("utf-8", errors="replace") for _ in range(CASES * 2)]
    fast = [codebook.parse(text) for text in texts]
    monkeypatch.delattr(yaml, "CSafeLoader")
    for text, found in zip(texts, fast):
        assert found == codebook.parse(text), text
