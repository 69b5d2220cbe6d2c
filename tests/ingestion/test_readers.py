"""Reading landed files: the strict UTF-8 check, chunk by chunk."""

from __future__ import annotations

import pytest

from ingestion.readers import _check_utf8


@pytest.mark.parametrize("data", [b"", b"plain ascii", "café, 東京, 🙂".encode() * 1000])
def test_utf8_passes(data):
    _check_utf8(data, chunk=7)  # small chunks split multi-byte characters


@pytest.mark.parametrize("data", [b"abc\xe9def", "café".encode() + b"\xff" + b"x" * 50, "🙂".encode()[:3]])
def test_non_utf8_raises_what_bytes_decode_raises(data):
    with pytest.raises(UnicodeDecodeError) as expected:
        data.decode("utf-8")
    with pytest.raises(UnicodeDecodeError) as got:
        _check_utf8(data, chunk=3)
    assert (got.value.start, got.value.reason) == (expected.value.start, expected.value.reason)
