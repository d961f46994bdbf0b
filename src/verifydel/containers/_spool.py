"""Spooling one member to a private temporary file, and the member's label.

A member's bytes are streamed, in bounded chunks, into a file made by
``tempfile.mkstemp`` (mode 0600, random name in the temporary folder; never the
member's own name) and yielded as a ``Unit``. The file is removed as soon as the
scanner resumes the container's generator, and on every other way out.

A member's name is untrusted text: it only ever becomes part of a label. Control
characters are shown as "?"; "..", absolute paths and backslashes stay as text.

A member cut short by a limit is followed by a ``MemberCut`` under its label:
the scanner reports that member partial (or failed, when nothing of it was
yielded) with the limit's reason. ``MemberCuts`` keeps the per-member limits one
container hit, so that its own entry ends partial once its other members are read.
"""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Final, Self

from verifydel.core.digest import StreamDigest
from verifydel.core.tempfiles import discard, new_private_file
from verifydel.core.limits import CHUNK_BYTES, LimitExceeded, Meter
from verifydel.core.stop import ScanStopped
from verifydel.errors import SourceError
from verifydel.core.unit import Unit, UnitFailure

#: The reasons a member is reported as failed without being read.
LINK_NOT_FOLLOWED: Final = "link member not followed"
LOCKED: Final = "encrypted member is locked (give --password)"
WRONG_PASSWORD: Final = "the password given does not open this encrypted member"

_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f]")


def sanitise_name(name: str) -> str:
    """A member name fit for a label: control characters as "?", a leading "./" dropped."""
    name = _CONTROL.sub("?", name).encode("utf-8", "replace").decode("utf-8")  # lone surrogates too
    while name.startswith("./"):
        name = name[2:]
    return name or "(no name)"


def member_label(parent: Unit, name: str) -> str:
    return f"{parent.label}!/{sanitise_name(name)}"


def link_failure(parent: Unit, name: str) -> UnitFailure:
    return UnitFailure(member_label(parent, name), "member", LINK_NOT_FOLLOWED)


@dataclass(frozen=True)
class MemberCut(UnitFailure):
    """The member ``label`` was cut short by a limit (``error`` says which).

    ``follows``: what came before the limit was yielded just before, as a unit
    under the same label (the scanner marks that entry); else nothing of the
    member was yielded and this stands alone, a failed member.
    """

    follows: bool = False


def cut_notice(label: str, exc: LimitExceeded, *, follows: bool) -> MemberCut:
    return MemberCut(label, "member", str(exc), follows=follows)


class MemberCuts:
    """The per-member limits one container hit; the container goes on, then ends partial."""

    def __init__(self) -> None:
        self.first: LimitExceeded | None = None
        self.count = 0

    def note(self, exc: LimitExceeded) -> bool:
        """Count ``exc`` when it is a per-member limit; True when the container may go on."""
        if exc.per_member:
            self.count += 1
            self.first = self.first or exc
        return exc.per_member

    def raise_if_any(self) -> None:
        """After the last member: the container's own reason, when a member was cut short."""
        if self.first is None:
            return
        more = f"; {self.count} members were cut short by a limit" if self.count > 1 else ""
        raise LimitExceeded(
            self.first.code,
            self.first.detail + more,
            hint="the rest of that member was not scanned; the other members were",
        )


class Spool:
    """A private temporary file holding one member's bytes; removed on exit."""

    def __init__(self) -> None:
        fd, self.path = new_private_file()  # O_EXCL, mode 0600, random name
        self._fd: int | None = fd
        self._digest = StreamDigest()  # the manifest's digest: exactly the bytes spooled

    @property
    def size(self) -> int:
        return self._digest.size

    def member(self, label: str, parent_depth: int, budget: object) -> Unit:
        """The spooled bytes as a member unit (with their SHA-256) one level below its container."""
        return Unit(
            label=label,
            path=self.path,
            size=self.size,
            depth=parent_depth + 1,
            budget=budget,  # type: ignore[arg-type]
            sha256=self._digest.hexdigest(),
        )

    def write(self, data: bytes) -> None:
        assert self._fd is not None
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._fd, view)
                self._digest.update(view[:written])
                view = view[written:]
        except OSError as exc:
            raise SourceError(
                f"cannot write a temporary file: {(exc.strerror or type(exc).__name__).lower()}",
                hint="free space in the temporary folder, or point TMPDIR at a larger one",
            ) from None

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def remove(self) -> None:
        self.close()
        discard(self.path)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()


def spool_member(
    parent: Unit,
    label: str,
    read: Callable[[int], bytes],
    meter: Meter | None = None,
) -> Iterator[Unit]:
    """Copy ``read`` into a spool file and yield it as a member of ``parent``.

    When reading breaks off part-way (a limit, a truncated or corrupt stream), what
    was read before is still yielded, then the error is raised: the rows before
    the break are scanned, and the container is marked partial. After a time
    limit nothing more is yielded. A limit is followed by the member's
    ``MemberCut`` before it is raised; the caller goes on with its next member
    when the limit is a per-member one (see ``MemberCuts``).
    """
    with Spool() as spool:
        failure: SourceError | None = None
        try:
            while chunk := read(CHUNK_BYTES):
                if meter is not None:
                    meter.add(len(chunk))
                spool.write(chunk)
        except SourceError as exc:
            failure = exc
        spool.close()
        out_of_time = isinstance(failure, LimitExceeded) and failure.code == "time"
        # A scan stopped mid-spool hands the member on all the same: it is listed, never read.
        kept = failure is None or isinstance(failure, ScanStopped) or bool(spool.size and not out_of_time)
        if kept:
            yield spool.member(label, parent.depth, parent.budget)
        if isinstance(failure, LimitExceeded):
            yield cut_notice(label, failure, follows=kept)
        if failure is not None:
            raise failure


def with_budget(unit: Unit, budget: object) -> Unit:
    """``unit`` carrying ``budget`` (members inherit their container's budget)."""
    if unit.budget is budget:
        return unit
    return dataclasses.replace(unit, budget=budget)


__all__ = [
    "LINK_NOT_FOLLOWED",
    "LOCKED",
    "WRONG_PASSWORD",
    "MemberCut",
    "MemberCuts",
    "Spool",
    "cut_notice",
    "link_failure",
    "member_label",
    "sanitise_name",
    "spool_member",
    "with_budget",
]
