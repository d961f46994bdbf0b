"""The scan journal: what a scan had finished when it was killed, so ``scan --resume`` reads the rest.

``REPORT.journal``, beside the report (the CLI chooses which), is JSON Lines in UTF-8,
append-only, mode 0600. Every line is ``{"mac":"<64 hex>","item":ITEM}``, written exactly
so: ``mac`` is an HMAC-SHA256 of ``TAG`` + "\n" + the bytes of ``ITEM`` as written, under a
key derived from the regulator's secret (``Secret.journal_key``). The broker on site holds
no such key: a journal changed after the scan wrote it (a source's "scanned" forged, a
match taken out) is refused, never believed.

- line 1, ITEM is the header: ``{"format": "verifydel-journal/1", "pack_sha256": ...,
  "scan": TAG, "started_at": ISO-8601}``. ``TAG`` is an HMAC-SHA256, under the same key,
  of the sources as given and every option that changes what a scan finds
  (``ScanOptions.identity``: --map, --encoding, --table, --password, the limits,
  --follow-symlinks): a journal is resumed only by the same scan, and says nothing of
  the password it covers.
- then one line per top-level source read to its end: ``{"unit": LABEL, "entries":
  [{"source": {...}, "matches": [{column: [values]}, ...]}, ...]}``: each coverage entry
  exactly as the report holds it, and its match rows column by column (record id,
  location, field names, strength: never a clear value; a scan with --show-values keeps
  no journal).

Each line goes out in one ``write`` and is ``fsync``ed before the next source is counted
as done; a line cut short by ``kill -9`` (always the last one) is ignored and cut off
before the resumed scan appends. The journal is removed once the report of a complete
scan is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final, Self

import polars as pl

from verifydel.core.coverage import STATUSES, Medium, SourceResult
from verifydel.errors import OutputError, UsageError
from verifydel.pipeline import Outcome
from verifydel.report.model import MATCH_SCHEMA, OPTIONAL_MATCH_SCHEMA

JOURNAL_FORMAT: Final = "verifydel-journal/1"
#: The journal of the report at ``PATH`` is ``PATH`` + this.
SUFFIX: Final = ".journal"
#: The match columns a journal keeps, with their dtypes (never ``values``).
JOURNALED_COLUMNS: Final[dict[str, pl.DataType]] = {**MATCH_SCHEMA, **OPTIONAL_MATCH_SCHEMA}
_FIELDS: Final = frozenset(f.name for f in dataclasses.fields(SourceResult))
_OPEN: Final = os.O_WRONLY | os.O_APPEND | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
#: Every line is exactly _HEAD + 64 hex digits + _MIDDLE + the item + _TAIL.
_HEAD: Final = b'{"mac":"'
_MIDDLE: Final = b'","item":'
_TAIL: Final = b"}"
_ITEM_AT: Final = len(_HEAD) + 64 + len(_MIDDLE)


def journal_path(report: Path) -> Path:
    """Where the journal of a scan writing ``report`` is kept."""
    return report.with_name(report.name + SUFFIX)


def scan_tag(key: bytes, sources: Sequence[str], identity: Mapping[str, object]) -> str:
    """The header's ``scan``: a keyed hash of the sources and the options that change results."""
    text = json.dumps({"sources": list(sources), "options": identity}, sort_keys=True, ensure_ascii=False, default=str)
    return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()


def _mac(key: bytes, tag: str, item: bytes) -> str:
    return hmac.new(key, tag.encode("ascii") + b"\n" + item, hashlib.sha256).hexdigest()


def _framed(key: bytes, tag: str, item: dict[str, Any]) -> bytes:
    raw = json.dumps(item, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return _HEAD + _mac(key, tag, raw).encode("ascii") + _MIDDLE + raw + _TAIL + b"\n"


def _unframed(line: bytes) -> tuple[str, bytes, Any]:
    """(mac, item bytes, item) of one line; ValueError if it is not one."""
    if not (line.startswith(_HEAD) and line[_ITEM_AT - len(_MIDDLE) : _ITEM_AT] == _MIDDLE and line.endswith(_TAIL)):
        raise ValueError("not a journal line")
    raw = line[_ITEM_AT : -len(_TAIL)]
    return line[len(_HEAD) : len(_HEAD) + 64].decode("ascii"), raw, json.loads(raw)


def _reason(exc: OSError) -> str:
    return (exc.strerror or type(exc).__name__).lower()


def _entry(outcome: Outcome) -> dict[str, Any]:
    source = dataclasses.asdict(outcome.result)
    matches = []
    for frame in outcome.payload:
        kept = [c for c in frame.columns if c in JOURNALED_COLUMNS]
        matches.append({c: frame[c].to_list() for c in kept})
    return {"source": source, "matches": matches}


def _outcome(entry: Any) -> Outcome:
    """An outcome as journaled; raises ValueError/TypeError/KeyError if it is not one."""
    source = dict(entry["source"])
    if set(source) != _FIELDS or source["status"] not in STATUSES:
        raise ValueError("not a coverage entry")
    medium = source.pop("medium")
    result = SourceResult(**source, medium=Medium(**medium) if medium is not None else None)
    payload = []
    for columns in entry["matches"]:
        if not set(columns) <= set(JOURNALED_COLUMNS):
            raise ValueError("unknown match column")
        payload.append(pl.DataFrame(columns, schema={c: JOURNALED_COLUMNS[c] for c in columns}))
    return Outcome(result, payload)


def _damaged(path: Path, what: str) -> UsageError:
    return UsageError(
        f"the journal {path} is damaged ({what})",
        hint="remove it and run the scan again without --resume (every source is read again)",
    )


def _changed(path: Path, number: int) -> UsageError:
    return UsageError(
        f"the journal {path} was changed since the scan wrote it (line {number} is not as written)",
        hint="it cannot be trusted: remove it and run the scan again without --resume",
    )


class Journal:
    """An open journal: ``known`` (what an earlier run finished), ``record`` (append one source).

    ``record`` may be called from several threads (``scan --jobs``)."""

    def __init__(self, path: Path, fd: int, key: bytes, tag: str, started_at: str, known: dict[str, list[Outcome]]) -> None:
        self.path = path
        self.started_at = started_at
        self._key, self._tag = key, tag
        self._fd: int | None = fd
        self._known = known
        self._lock = threading.Lock()
        #: Why the journal stopped being written (a full disk...): the scan goes on, unresumable.
        self.failed: str | None = None

    # -- opening ------------------------------------------------------------
    @classmethod
    def start(cls, path: Path, *, key: bytes, pack_sha256: str, tag: str, started_at: str) -> Journal:
        """A new journal (one left by an earlier scan is replaced); ``key`` authenticates its lines."""
        header = {"format": JOURNAL_FORMAT, "pack_sha256": pack_sha256, "scan": tag, "started_at": started_at}
        try:
            path.unlink(missing_ok=True)
            fd = os.open(path, _OPEN | os.O_CREAT | os.O_EXCL, 0o600)
        except OSError as exc:
            raise OutputError(f"cannot write the journal {path}: {_reason(exc)}", hint="give a report folder verifydel may write to") from None
        journal = cls(path, fd, key, tag, started_at, {})
        journal._append(header)
        _sync_folder(path)
        return journal

    @classmethod
    def resume(cls, path: Path, *, key: bytes, pack_sha256: str, tag: str) -> Journal:
        """The journal an earlier run of the same scan left; refused (exit 2) if it is another's,
        or was changed since (a line whose mac ``key`` does not give)."""
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise UsageError(f"cannot read the journal {path}: {_reason(exc)}", hint="check its permissions") from None
        lines = data.split(b"\n")
        # Every complete line ends with "\n": what follows the last one is a torn write.
        complete, torn = lines[:-1], lines[-1]
        valid_end = len(data) - len(torn)
        try:
            mac, raw, header = _unframed(complete[0]) if complete else ("", b"", None)
        except ValueError:
            header = None
        if not isinstance(header, dict) or header.get("format") != JOURNAL_FORMAT:
            raise _damaged(path, f"not a {JOURNAL_FORMAT} journal")
        if header.get("pack_sha256") != pack_sha256:
            raise UsageError(
                f"the journal {path} belongs to a scan against another pack",
                hint="give the pack that scan used, or remove the journal to start over",
            )
        if header.get("scan") != tag:
            raise UsageError(
                f"the journal {path} belongs to another scan (other sources, or other options that change what is found)",
                hint="run the same command as before with --resume, or remove the journal to start over",
            )
        if not hmac.compare_digest(mac, _mac(key, tag, raw)):
            raise _changed(path, 1)
        known: dict[str, list[Outcome]] = {}
        for number, line in enumerate(complete[1:], start=2):
            try:
                mac, raw, item = _unframed(line)
            except ValueError:
                if number == len(complete):  # a last line whose "\n" made it but not all of it
                    valid_end -= len(line) + 1
                    break
                raise _damaged(path, f"line {number} cannot be read") from None
            if not hmac.compare_digest(mac, _mac(key, tag, raw)):
                raise _changed(path, number)
            try:
                outcomes = [_outcome(entry) for entry in item["entries"]]
                label = item["unit"]
            except (ValueError, TypeError, KeyError, AttributeError):
                raise _damaged(path, f"line {number} cannot be read") from None
            if not isinstance(label, str) or not outcomes:
                raise _damaged(path, f"line {number} names no source")
            known[label] = outcomes
        try:
            fd = os.open(path, _OPEN)
            os.truncate(path, valid_end)  # drop a torn last line before appending after it
        except OSError as exc:
            raise OutputError(f"cannot append to the journal {path}: {_reason(exc)}", hint="check its permissions") from None
        return cls(path, fd, key, tag, str(header.get("started_at") or ""), known)

    # -- use ------------------------------------------------------------------
    def known(self) -> Mapping[str, list[Outcome]]:
        """Top-level source label → its outcomes, as an earlier run finished them."""
        return self._known

    @property
    def finished(self) -> int:
        """How many top-level sources the journal held when it was opened."""
        return len(self._known)

    def record(self, label: str, outcomes: list[Outcome]) -> None:
        """Append one finished top-level source and sync it to disk. A journal that cannot be
        written any more is closed (``failed`` says why): the scan itself goes on."""
        try:
            self._append({"unit": label, "entries": [_entry(o) for o in outcomes]})
        except OutputError as exc:
            self.failed = str(exc)
            self.close()

    def _append(self, item: dict[str, Any]) -> None:
        line = _framed(self._key, self._tag, item)
        with self._lock:
            if self._fd is None:
                return
            try:
                view = memoryview(line)
                while view:
                    view = view[os.write(self._fd, view) :]
                os.fsync(self._fd)
            except OSError as exc:
                raise OutputError(f"cannot write the journal {self.path}: {_reason(exc)}") from None

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def remove(self) -> None:
        """Close and delete: the report of the complete scan is written."""
        self.close()
        with contextlib.suppress(OSError):  # a journal left behind is refused or replaced next time
            self.path.unlink()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


def _sync_folder(path: Path) -> None:
    """Make the journal's name durable too (best effort: not every file system can)."""
    with contextlib.suppress(OSError):
        fd = os.open(path.parent if str(path.parent) else ".", os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


__all__ = ["JOURNALED_COLUMNS", "JOURNAL_FORMAT", "SUFFIX", "Journal", "journal_path", "scan_tag"]
