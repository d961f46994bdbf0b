"""Sparse and special files: a sparse tar member declaring 100 GiB, a link out of the scanned
folder to a leaked CSV, a FIFO.

The sparse member stores 10 KiB: it is cut at the ratio limit (partial, "limit ratio")
and the members beside it are scanned. The link leads to a folder inside the corpus but
outside the scanned one, holding leaked records: it is reported, never followed (a match
there would be unexpected: the case is exact). The FIFO is reported, never opened.
"""

from __future__ import annotations

import os

from corpus_ctx import Ctx
from corpus_people import csv_bytes
from corpus_registry import Built, State, case
from sparse_tar_kit import SparseMember, sparse_tar_bytes

#: What the sparse member declares, and what it stores.
DECLARED = 100 << 30
STORED = b"a,b\n" + b"1,2\n" * 2559  # 10 KiB


@case("sparse-tar-bomb", "hostile")
def sparse_bomb(ctx: Ctx) -> Built:
    """A plain tar (no compression, so no compressed ratio): members with survivors around a
    GNU sparse member and a pax 1.0 one, each a 100 GiB bomb of 10 KiB."""
    folder = ctx.dir("sparse-tar-bomb")
    built = Built([ctx.label(folder)])
    for fmt in ("gnu", "pax-1.0"):
        path = folder / f"backup-{fmt}.tar"
        label = ctx.label(path)
        members = [
            ("2022/members.csv", ctx.csv(built, f"{label}!/2022/members.csv", ctx.rows(0.3))),
            SparseMember("disk.img", [(0, STORED)], DECLARED),
            ("2023/members.csv", ctx.csv(built, f"{label}!/2023/members.csv", ctx.rows(0.3))),
        ]
        path.write_bytes(sparse_tar_bytes(members, fmt))
        built.states += [
            State(f"{label}!/disk.img", ("partial",), ("limit ratio: sparse member 2",)),
            State(label, ("partial",), ("limit ratio",)),
            State(f"{label}!/2023/members.csv", ("scanned",)),
        ]
    return built


@case("special-files-and-outside-links", "hostile", needs=("symlinks",))
def outside_links(ctx: Ctx) -> Built:
    """broker/ (scanned): a CSV with survivors, a FIFO, a link to ../outside/ (leaked records,
    inside the corpus but outside the folder scanned), a link to /etc."""
    base = ctx.dir("special-files-and-outside-links")
    broker, outside = base / "broker", base / "outside"
    broker.mkdir()
    outside.mkdir()
    built = Built([ctx.label(broker)])
    frame, _ = ctx.table(ctx.rows(0.3))  # survivors not planted: found there, they would be unexpected
    (outside / "leaked.csv").write_bytes(csv_bytes(frame))
    os.symlink("../outside", broker / "elsewhere")  # relative: the corpus may move
    os.symlink("../outside/leaked.csv", broker / "leaked_alias.csv")
    os.symlink("/etc", broker / "etc")
    os.mkfifo(broker / "queue.csv")
    path = broker / "members.csv"
    path.write_bytes(ctx.csv(built, ctx.label(path), ctx.rows(0.3)))
    link = ("symbolic link out of the scanned folder not followed",)
    built.states += [
        State(ctx.label(broker / "elsewhere"), ("failed",), link),
        State(ctx.label(broker / "leaked_alias.csv"), ("failed",), link),
        State(ctx.label(broker / "etc"), ("failed",), link),
        State(ctx.label(broker / "queue.csv"), ("failed",), ("named pipe",)),
        State(ctx.label(path), ("scanned",)),
    ]
    return built
