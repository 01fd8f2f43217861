"""Exports open correctly in a real spreadsheet: LibreOffice headless converts them to xlsx and we
read the cells back. Typed text stays text; an unescaped control file does become a formula."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from datetime import UTC, datetime
from html import unescape
from pathlib import Path

import pytest

from chalicelib.domain.exports import ExportFormat
from chalicelib.services import exports
from chalicelib.settings import DEFAULT_ISSUES
from tests.fakes import in_memory_stores
from tests.support.people import known_person

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(SOFFICE is None, reason="LibreOffice is not installed (apt-get install libreoffice-calc-nogui)"),
]
T0 = datetime(2026, 11, 26, 15, 0, tzinfo=UTC)
EVIL_NAME = '=HYPERLINK("http://evil.example","click")'
EVIL_NOTE = "+SUM(1;2)"


def to_xlsx(csvs: list[Path], out: Path) -> list[Path]:
    assert SOFFICE is not None
    subprocess.run(
        [SOFFICE, f"-env:UserInstallation=file://{out / 'profile'}", "--headless", "--convert-to", "xlsx",
         "--infilter=CSV:44,34,76,1", "--outdir", str(out), *map(str, csvs)],
        check=True, capture_output=True, timeout=180,
    )  # fmt: skip
    return [out / (p.stem + ".xlsx") for p in csvs]


def cells(xlsx: Path) -> tuple[list[str], list[str]]:
    """(formulas, text cells) of the first sheet."""
    with zipfile.ZipFile(xlsx) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode()
        strings = book.read("xl/sharedStrings.xml").decode() if "xl/sharedStrings.xml" in book.namelist() else ""
    formulas = re.findall(r"<f[^>]*>(.*?)</f>", sheet)
    texts = [unescape(t) for t in re.findall(r"<t[^>]*>(.*?)</t>", strings, flags=re.S)]
    return formulas, texts


def test_exports_open_in_libreoffice_with_typed_text_as_text(tmp_path: Path) -> None:
    store = in_memory_stores()
    known_person(store, T0, phone="+16175550001", first_name=EVIL_NAME, last_name="Peña",
                 stance={"support_level": 1, "note": EVIL_NOTE, "issues": {"housing": "support"}})  # fmt: skip
    known_person(store, T0, phone="+16175550002", first_name="-1+2", last_name="@cmd")
    files = []
    for fmt in ExportFormat:
        query = exports.parse_query({"format": fmt.value}, tuple(DEFAULT_ISSUES.split(",")))
        path = tmp_path / f"{fmt.value}.csv"
        path.write_bytes(exports.export_inline(store, query, 1_000_000))
        files.append(path)
    control = tmp_path / "control.csv"
    quoted = '"' + EVIL_NAME.replace('"', '""') + '"'
    control.write_text("name\n" + quoted + "\n=1+1\n", encoding="utf-8")

    books = to_xlsx([*files, control], tmp_path)

    for book in books[:-1]:
        formulas, texts = cells(book)
        assert formulas == [], f"{book.name} has live formulas: {formulas}"
        assert "Peña" in texts  # UTF-8 read as UTF-8
    _, generic_texts = cells(books[0])
    assert "'" + EVIL_NAME in generic_texts and "'" + EVIL_NOTE in generic_texts and "'-1+2" in generic_texts
    control_formulas, _ = cells(books[-1])
    assert control_formulas, "the unescaped control file should have produced formulas"
