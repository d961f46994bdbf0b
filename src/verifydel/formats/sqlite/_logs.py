"""SQLite's write-ahead log (-wal) and rollback journal (-journal): where their page images lie.

WAL (https://www.sqlite.org/fileformat2.html#walformat)
    A 32-byte header (magic, version, page size, checkpoint sequence, two salts,
    checksum), then frames: a 24-byte frame header (page number, database size
    after a commit or 0, the two salts, checksum) and a page image. Frames whose
    salts are the header's belong to the current log; the others are left over
    from a log SQLite restarted, and are read all the same. The newest frame of a
    page up to the last commit frame is what a reader sees: its cells are *live in
    the WAL*; every other frame is an older or uncommitted version. Checksums are
    not verified (a torn frame is still read; its cells must decode to be kept).

Rollback journal (https://www.sqlite.org/fileformat2.html#rollbackjournal)
    Segments, each a header (magic, record count, nonce, initial size, sector size,
    page size) padded to the sector size, then records: page number, the page's
    original image, checksum. A record count of 0 or 0xffffffff means "as many as
    the file holds". A second segment starts at the next sector boundary after the
    records of the first. Two headers without magic are read too: one not synced
    yet (magic zero, the rest written: a transaction in progress) and one SQLite
    zeroed on commit under journal_mode=PERSIST (28 zero bytes: the page size is
    the database's beside it, else the one whose first two records look like page
    records; the sector size is the first that starts a page record),
    whose records, older transactions' pages included, stay until overwritten.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field
from typing import Final

from verifydel.formats.sqlite._pages import PagedFile, u32, valid_page_size

WAL_MAGICS: Final = (0x377F0682, 0x377F0683)
WAL_HEADER: Final = 32
FRAME_HEADER: Final = 24
JOURNAL_MAGIC: Final = b"\xd9\xd5\x05\xf9\x20\xa1\x63\xd7"
JOURNAL_HEADER: Final = 28
#: Largest page number believed in a journal record (SQLite's own maximum page count).
MAX_PAGE_NUMBER: Final = 0xFFFFFFFE


@dataclass
class Log:
    """The page images of a WAL or journal file, in file order."""

    page_size: int
    offsets: array = field(default_factory=lambda: array("q"))  # file offset of each page image
    pgnos: array = field(default_factory=lambda: array("I"))
    live: set[int] = field(default_factory=set)  # indices of images a reader sees (WAL only)
    committed: int = 0  # frames up to the last commit frame of the current log (WAL only)
    stale: int = 0  # frames left over from an earlier log (salts differ; WAL only)
    problems: list[str] = field(default_factory=list)

    def newest(self) -> dict[int, int]:
        """Page number to image index of the images a reader sees."""
        return {self.pgnos[i]: i for i in sorted(self.live)}


def wal_page_size(head: bytes) -> int | None:
    if len(head) < WAL_HEADER or u32(head, 0) not in WAL_MAGICS:
        return None
    size = u32(head, 8)
    return size if valid_page_size(size) else None


def read_wal(f: PagedFile) -> Log:
    """Where the frames of a WAL file lie (``f`` opened with any page size; bytes are read by offset)."""
    head = f.read(0, WAL_HEADER)
    size = wal_page_size(head)
    if size is None:
        return Log(0, problems=["the WAL header is not valid"])
    log = Log(size)
    salts = head[16:24]
    step = FRAME_HEADER + size
    frames = max(0, (f.size - WAL_HEADER) // step)
    tail = (f.size - WAL_HEADER) - frames * step if f.size > WAL_HEADER else 0
    current = True
    newest: dict[int, int] = {}
    pending: dict[int, int] = {}
    for k in range(frames):
        at = WAL_HEADER + k * step
        fh = f.read(at, FRAME_HEADER)
        pgno = u32(fh, 0)
        log.offsets.append(at + FRAME_HEADER)
        log.pgnos.append(pgno)
        if current and fh[8:16] != salts:
            current = False
        if not current:
            log.stale += 1
            continue
        pending[pgno] = k
        if u32(fh, 4):  # a commit frame: what came before is committed
            newest.update(pending)
            pending.clear()
            log.committed = k + 1
    log.live = set(newest.values())
    if tail:
        log.problems.append(f"the WAL ends {tail} bytes into a frame (truncated)")
    return log


def unsynced_journal(head: bytes) -> bool:
    """A journal header whose magic SQLite has not written yet (it does once the journal is
    synced, before the database is written): zeros, then a plausible header."""
    if len(head) < JOURNAL_HEADER or head[:8] != bytes(8):
        return False
    sector, size = u32(head, 20), u32(head, 24)
    return valid_page_size(size) and _valid_sector(sector)


def zeroed_journal(head: bytes) -> bool:
    """A header SQLite zeroed on commit (journal_mode=PERSIST): the page records stay behind it."""
    return len(head) >= JOURNAL_HEADER and head[:JOURNAL_HEADER] == bytes(JOURNAL_HEADER)


def _valid_sector(sector: int) -> bool:
    return 32 <= sector <= 65536 and sector & (sector - 1) == 0


def _first_record(f: PagedFile, size: int) -> int | None:
    """Where the records of a zeroed journal start: the sector size whose first record holds
    a page number and a b-tree page image."""
    for sector in (512, 1024, 2048, 4096, 8192, 16384, 32768, 65536):
        if sector + 4 + size > f.size:
            break
        pgno = u32(f.read(sector, 4), 0)
        kind = f.read(sector + 4 + (100 if pgno == 1 else 0), 1)
        if 1 <= pgno <= MAX_PAGE_NUMBER and kind in (b"\x02", b"\x05", b"\x0a", b"\x0d"):
            return sector
    return None


def _guess_page_size(f: PagedFile) -> int:
    """The page size of a zeroed journal alone: the one whose first two records both look right."""
    for size in (4096, 1024, 2048, 8192, 16384, 32768, 65536, 512):
        first = _first_record(f, size)
        if first is None:
            continue
        second = first + 4 + size + 4
        pgno = u32(f.read(second, 4), 0) if second + 4 <= f.size else 0
        kind = f.read(second + 4 + (100 if pgno == 1 else 0), 1)
        if 1 <= pgno <= MAX_PAGE_NUMBER and kind in (b"\x02", b"\x05", b"\x0a", b"\x0d"):
            return size
    return 0


def read_journal(f: PagedFile, page_size: int = 0) -> Log:
    """Where the page records of a rollback journal lie. Its magic may still be zeros; its
    whole header may be (``page_size``, the database's, then gives the record size)."""
    head = f.read(0, JOURNAL_HEADER)
    zeroed = zeroed_journal(head)
    if not (head.startswith(JOURNAL_MAGIC) or unsynced_journal(head) or zeroed):
        return Log(0, problems=["the journal header is not valid"])
    size = page_size if zeroed else u32(head, 24)
    if zeroed and not valid_page_size(size):
        size = _guess_page_size(f)
    if not valid_page_size(size):
        reason = "the journal header is zeroed and its page size cannot be told"
        return Log(
            0, problems=[reason if zeroed else "the journal header gives an impossible page size"]
        )
    log = Log(size)
    record = 4 + size + 4
    at = 0
    while at + JOURNAL_HEADER <= f.size:
        seg = f.read(at, JOURNAL_HEADER)
        if at == 0 and zeroed:
            first = _first_record(f, size)
            if first is None:
                break
            count, sector = 0, first
        elif seg.startswith(JOURNAL_MAGIC) or (at == 0 and unsynced_journal(seg)):
            count, sector = u32(seg, 8), u32(seg, 20)
            sector = sector if _valid_sector(sector) else 512
        else:
            break
        pos = at + sector
        read = 0
        while count in (0, 0xFFFFFFFF) or read < count:
            if pos + 4 > f.size:
                break
            pgno = u32(f.read(pos, 4), 0)
            if pgno == 0 or pgno > MAX_PAGE_NUMBER:
                break
            if pos + record > f.size:
                log.problems.append(
                    f"the journal ends {f.size - pos} bytes into a page record (truncated)"
                )
                return log
            log.offsets.append(pos + 4)
            log.pgnos.append(pgno)
            pos += record
            read += 1
        if count not in (0, 0xFFFFFFFF) and read < count:
            log.problems.append(
                f"the journal holds {read} of the {count} page records its header announces"
            )
            return log
        at = (
            -(-pos // sector) * sector
        )  # the next segment starts on a sector boundary (always later)
    return log
