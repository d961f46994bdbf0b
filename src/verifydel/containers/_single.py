"""What gzip, bzip2, xz and zstd files have in common: one compressed stream, one member.

When the decompressed stream is a tar, its members are read in the same pass
(``backup.tar.gz!/2022/members.csv``, one level, nothing spooled but the members);
otherwise the stream is one member, named after the header's original name
where the format keeps one (gzip), else after the file minus its compression
suffix, else "data".

The stream's own ratio is checked on every byte outside its tar members' data;
each tar member has its own ratio (its bytes against the compressed bytes read
while it was produced), so one bomb member is cut short and skipped, and the
members after it are read (see ``_tarstream``). A stream that is one member is cut
short at a limit and the container is partial with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Final

from verifydel.containers._spool import member_label, spool_member, with_budget
from verifydel.containers._streams import Codec, CountingReader, DecodedReader
from verifydel.containers._tarstream import BLOCK, looks_like_tar, tar_members
from verifydel.core.limits import Budget, Limits, Meter
from verifydel.core.unit import Unit, UnitFailure

#: The member name when neither the header nor the file name gives one.
DEFAULT_MEMBER_NAME: Final = "data"

_LAST_COMPONENT: Final = re.compile(r"[^/\\]*$")


def inner_name(label: str, suffixes: Mapping[str, str]) -> str:
    """``label``'s file name minus its compression suffix ("x.csv.gz" -> "x.csv")."""
    match = _LAST_COMPONENT.search(label)
    last = match.group(0) if match else ""
    lower = last.lower()
    for suffix, replacement in suffixes.items():
        if lower.endswith(suffix) and len(last) > len(suffix):
            return last[: -len(suffix)] + replacement
    return DEFAULT_MEMBER_NAME


def stream_members(
    unit: Unit,
    limits: Limits,
    *,
    what: str,
    new_codec: Callable[[], Codec],
    next_magic: tuple[bytes, ...],
    suffixes: Mapping[str, str],
    original_name: str | None = None,
) -> Iterator[Unit | UnitFailure]:
    """The member(s) of one compressed file: a tar's members, or the stream itself."""
    budget = Budget.of(unit, limits)
    budget.enter(unit.depth)
    unit = with_budget(unit, budget)
    assert unit.path is not None
    with open(unit.path, "rb") as fh:
        raw = CountingReader(fh, budget)
        meter = Meter(
            budget, f"the {what} stream", compressed=lambda: reader.input_used, member_limit=False
        )
        reader = DecodedReader(raw, new_codec, meter, what=what, next_magic=next_magic)
        if looks_like_tar(reader.peek(BLOCK)):
            yield from tar_members(unit, reader.read, budget, count_source=False, stream=meter)
            return
        budget.count_member()
        meter.member_limit = True  # the stream is the member
        name = original_name or inner_name(unit.label, suffixes)
        # a limit marks the one member and, nothing following it, ends the container partial
        yield from spool_member(unit, member_label(unit, name), reader.read)


__all__ = ["DEFAULT_MEMBER_NAME", "inner_name", "stream_members"]
