"""Decoders: bytes to text (UTF-8, CP932, EUC-JP, UTF-16), incrementally, never by chunk.

Public API:

- ``detect_encoding(sample) -> str``: the codec of a file's first bytes
  (pass up to ``DETECTION_SAMPLE_BYTES``).
- ``TextDecoder(encoding)``: incremental decoding with byte offsets in its errors.
- ``transcode_to_utf8(src, encoding, dst, chunk)``: a bounded-memory copy to UTF-8.
- ``canonical_encoding(name)``: Python's name of an encoding, or UsageError.
"""

from __future__ import annotations

from verifydel.decoders.detect import (
    CANDIDATE_ENCODINGS,
    DETECTION_SAMPLE_BYTES,
    bom_encoding,
    detect_encoding,
)
from verifydel.decoders.text import (
    TRANSCODE_CHUNK_BYTES,
    TextDecoder,
    canonical_encoding,
    transcode_to_utf8,
)

__all__ = [
    "CANDIDATE_ENCODINGS",
    "DETECTION_SAMPLE_BYTES",
    "TRANSCODE_CHUNK_BYTES",
    "TextDecoder",
    "bom_encoding",
    "canonical_encoding",
    "detect_encoding",
    "transcode_to_utf8",
]
