"""Reading landed files: the strict UTF-8 check, on the file streamed chunk by chunk (gzip included)."""

from __future__ import annotations

import gzip

import pytest

from ingestion.readers import FileRejected, _check_text


def _land(tmp_path, data: bytes, gz: bool):
    path = tmp_path / ("f.csv.gz" if gz else "f.csv")
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("data", [b"plain ascii", "café, 東京, 🙂".encode() * 1000])
def test_utf8_passes(tmp_path, data, gz):
    _check_text(_land(tmp_path, data, gz), gz, chunk=7)  # small chunks split multi-byte characters


@pytest.mark.parametrize("gz", [False, True])
@pytest.mark.parametrize("data", [b"abc\xe9def", "café".encode() + b"\xff" + b"x" * 50, "🙂".encode()[:3],
                                  b"x" * 10 + "é".encode()[:1] + b"y"])
def test_non_utf8_raises_what_bytes_decode_raises(tmp_path, data, gz):
    with pytest.raises(UnicodeDecodeError) as expected:
        data.decode("utf-8")
    with pytest.raises(UnicodeDecodeError) as got:
        _check_text(_land(tmp_path, data, gz), gz, chunk=3)
    assert (got.value.start, got.value.reason) == (expected.value.start, expected.value.reason)


def test_a_blank_file_is_empty(tmp_path):
    with pytest.raises(FileRejected, match="the file is empty"):
        _check_text(_land(tmp_path, b" \n\n", False), False)
