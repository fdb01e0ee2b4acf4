"""Reading printed copies back as a grader's scanner would: the text of a
page (pdftotext) and the QR code on it (pdftoppm to a PGM, zxing-cpp)."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path


def page_texts(pdf: Path) -> list[str]:
    """The text of each page (pdftotext, pages split on form feeds)."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return text.split("\f")[:-1]


def read_pgm(path: Path):
    """A binary PGM (P5, 8-bit) as a numpy array."""
    import numpy as np

    data = path.read_bytes()
    fields: list[bytes] = []
    pos = 0
    while len(fields) < 4:  # magic, width, height, maxval
        while data[pos:pos + 1].isspace():
            pos += 1
        if data[pos:pos + 1] == b"#":
            pos = data.index(b"\n", pos)
            continue
        end = pos
        while not data[end:end + 1].isspace():
            end += 1
        fields.append(data[pos:end])
        pos = end
    assert fields[0] == b"P5" and fields[3] == b"255", fields
    width, height = int(fields[1]), int(fields[2])
    pixels = data[pos + 1:pos + 1 + width * height]
    return np.frombuffer(pixels, dtype=np.uint8).reshape(height, width)


def page_qr_codes(pdf: Path, dpi: int = 150) -> list[list[dict]]:
    """Per page, the JSON objects of the QR codes found on it."""
    import zxingcpp

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(["pdftoppm", "-r", str(dpi), "-gray", str(pdf), f"{tmp}/page"], check=True)
        out = []
        for image in sorted(Path(tmp).glob("page-*.pgm"), key=lambda p: int(p.stem.split("-")[-1])):
            codes = zxingcpp.read_barcodes(read_pgm(image), formats=zxingcpp.BarcodeFormat.QRCode)
            out.append([json.loads(code.text) for code in codes])
        return out


def page_count(pdf: Path) -> int:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))


def page_size(pdf: Path) -> str:
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    return next(line.split(":", 1)[1].strip() for line in info.splitlines() if line.startswith("Page size:"))
