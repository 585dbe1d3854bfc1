import pytest

from qualcode.errors import BadFile
from qualcode.inputfile import read_utf8

HINTS = {"max_bytes": 2_000_000, "missing": "no such file; give one", "too_large": "split it", "kind": "CSV"}


def test_reads_utf8_with_or_without_bom(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes("\ufeffcliënt,ja\n".encode("utf-8"))
    assert read_utf8(path, **HINTS) == "cliënt,ja\n"


@pytest.mark.parametrize("make,message", [
    (lambda p: None, "no such file; give one"),
    (lambda p: p.write_bytes(b"x" * 2_000_001), "larger than 2 MB; split it"),
    (lambda p: p.write_bytes("cliënt".encode("cp1252")), "not UTF-8 text; save the CSV as UTF-8"),
])
def test_refusals_name_the_file_and_what_to_do(tmp_path, make, message):
    path = tmp_path / "a.csv"
    make(path)
    with pytest.raises(BadFile) as caught:
        read_utf8(path, **HINTS)
    assert str(caught.value) == f"{path}: {message}"
