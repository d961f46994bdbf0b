"""mysqldump / mariadb-dump: one table per dumped table, rows in dump order, every literal form."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from verifydel.errors import FormatError
from verifydel.formats import open_tables
from verifydel.formats.sqldump import _sql
from verifydel.formats.sqldump import _sql_slow
from verifydel.formats.sqldump import _sql_values
from verifydel.formats.sqldump import mysql as sqldump_mysql
from verifydel.formats.sqldump import pg as sqldump_pg
from verifydel.core.table import Table
from verifydel.core.unit import Unit

HEADER = """-- MySQL dump 10.13  Distrib 8.0.36, for Linux (x86_64)
--
-- Host: localhost    Database: broker
-- ------------------------------------------------------
-- Server version\t8.0.36

/*!40101 SET @OLD_CHARACTER_SET_CLIENT=@@CHARACTER_SET_CLIENT */;
/*!40101 SET NAMES {charset} */;
/*!40103 SET TIME_ZONE='+00:00' */;

"""
MEMBERS = """--
-- Table structure for table `members`
--

DROP TABLE IF EXISTS `members`;
/*!40101 SET @saved_cs_client     = @@character_set_client */;
CREATE TABLE `members` (
  `id` int NOT NULL AUTO_INCREMENT,
  `氏名` varchar(64) NOT NULL COMMENT 'name; (family, given)',
  `住所` text,
  `電話番号` varchar(20) DEFAULT NULL,
  `memo` blob,
  PRIMARY KEY (`id`),
  KEY `idx_tel` (`電話番号`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
/*!40101 SET character_set_client = @saved_cs_client */;

"""
COLUMNS = ["id", "氏名", "住所", "電話番号", "memo"]


def mysql_literal(value: object) -> str:
    """A value as mysqldump writes it (mysql_real_escape_string)."""
    if value is None:
        return "NULL"
    if isinstance(value, int):
        return str(value)
    table = {
        "\0": "\\0",
        "\n": "\\n",
        "\r": "\\r",
        "\\": "\\\\",
        "'": "\\'",
        '"': '\\"',
        "\x1a": "\\Z",
    }
    return "'" + "".join(table.get(c, c) for c in str(value)) + "'"


def insert(table: str, rows: list[tuple[object, ...]], *, newline: bool = False) -> str:
    tuples = [f"({','.join(mysql_literal(v) for v in row)})" for row in rows]
    glue, opener = (",\n", "\n") if newline else (",", " ")
    return f"INSERT INTO `{table}` VALUES{opener}{glue.join(tuples)};\n"


def dump(*statements: str, charset: str = "utf8mb4") -> str:
    return HEADER.format(charset=charset) + "".join(statements) + "-- Dump completed\n"


def write(path: Path, text: str, encoding: str = "utf-8") -> Unit:
    path.write_bytes(text.encode(encoding))
    return Unit(label=path.name, path=path, size=path.stat().st_size)


def rows_of(table: Table) -> list[tuple[object, ...]]:
    frames = list(table.batches)
    for frame in frames:
        assert frame.columns == table.columns
        assert all(dtype == pl.String for dtype in frame.dtypes)
    return [row for frame in frames for row in frame.rows()]


def by_label(tables: list[Table]) -> dict[str, Table]:
    return {t.label: t for t in tables}


@pytest.fixture
def small_blocks(monkeypatch: pytest.MonkeyPatch) -> int:
    """Blocks of 512 bytes: every row, statement and escape meets a block boundary somewhere."""
    size = 512
    for module in (_sql, _sql_slow, _sql_values, sqldump_pg):
        monkeypatch.setattr(module, "READ_BYTES", size)
    monkeypatch.setattr(_sql_slow, "DECIDE_BYTES", 32)
    return size


PEOPLE = [
    (1, "山田 太郎", "東京都千代田区千代田1-1", "090-1111-2222", None),
    (2, 'O\'Brien "Bob"', "line1\nline2\r\tend \\ back", "", "x"),
    (3, "NULL", "カンマ, (括弧); セミコロン", None, "\x00\x1a"),
]


def test_mysqldump_in_its_own_style(tmp_path: Path) -> None:
    unit = write(
        tmp_path / "broker.sql",
        dump(
            MEMBERS, "LOCK TABLES `members` WRITE;\n", insert("members", PEOPLE), "UNLOCK TABLES;\n"
        ),
    )
    [table] = open_tables(unit)
    assert (table.label, table.kind, table.columns) == ("broker.sql!/members", "mysqldump", COLUMNS)
    assert rows_of(table) == [tuple(None if v is None else str(v) for v in row) for row in PEOPLE]


def test_literal_forms(tmp_path: Path) -> None:
    values = (
        "(1,0xE5B1B1E794B0,0xFF00,_binary 'abc',X'E5B1B1',x'00ff',-1.5e3,'it''s','a\\%b\\_c',"
        "'\\x\\q','' ,b'101',_utf8mb4'山田',NULL,'','null')"
    )
    text = dump(f"INSERT INTO `t` VALUES {values};\n")
    [table] = open_tables(write(tmp_path / "t.sql", text))
    assert rows_of(table) == [
        ("1", "山田", "0xff00", "abc", "山", "0x00ff", "-1.5e3", "it's", "a\\%b\\_c",
         "xq", "", "b'101'", "山田", None, "", "null"),
    ]  # fmt: skip
    assert table.columns == [f"column_{i}" for i in range(1, 17)]


def test_statements_of_one_table_are_one_table_in_dump_order(tmp_path: Path) -> None:
    other = [(1, "別人", "x", "03-0000-0000", None)]
    text = dump(
        MEMBERS,
        MEMBERS.replace("`members`", "`orders`"),
        insert("members", PEOPLE[:2]),
        insert("members", PEOPLE[2:]),  # a second statement continues the run
        insert("orders", other),
        insert("members", [(4, "四人目", None, None, None)], newline=True),  # after another table
    )
    tables = by_label(open_tables(write(tmp_path / "d.sql", text)))
    assert list(tables) == ["d.sql!/members", "d.sql!/orders"]
    ids = [row[0] for row in rows_of(tables["d.sql!/members"])]
    assert ids == ["1", "2", "3", "4"]
    assert [row[1] for row in rows_of(tables["d.sql!/orders"])] == ["別人"]


def test_complete_insert_maps_named_columns(tmp_path: Path) -> None:
    text = dump(
        MEMBERS,
        "INSERT INTO `members` (`電話番号`, `id`, `extra`) VALUES ('090-1',1,'e'),('090-2',2,NULL);\n",
    )
    [table] = open_tables(write(tmp_path / "c.sql", text))
    assert table.columns == [*COLUMNS, "extra"]
    assert rows_of(table) == [
        ("1", None, None, "090-1", None, "e"),
        ("2", None, None, "090-2", None, None),
    ]


def test_skip_extended_insert_and_insert_variants(tmp_path: Path) -> None:
    lines = "".join(
        f"{verb} `members` VALUES ({i},'人{i}',NULL,NULL,NULL);\n"
        for i, verb in enumerate(["INSERT INTO"] * 50 + ["INSERT IGNORE INTO", "REPLACE INTO"], 1)
    )
    [table] = open_tables(write(tmp_path / "s.sql", dump(MEMBERS, lines)))
    assert [row[0] for row in rows_of(table)] == [str(i) for i in range(1, 53)]


def test_routines_and_comments_hold_no_rows(tmp_path: Path) -> None:
    routine = (
        "DELIMITER ;;\n/*!50003 CREATE*/ /*!50003 TRIGGER `t_ai` AFTER INSERT ON `members` FOR EACH ROW "
        "BEGIN INSERT INTO `audit` VALUES (NEW.id, NOW()); END */;;\n"
        "CREATE PROCEDURE p() BEGIN INSERT INTO audit VALUES (1, NOW()); SELECT ';'; END ;;\n"
        "DELIMITER ;\n"
        "/* INSERT INTO `members` VALUES (9,'comment',NULL,NULL,NULL); */\n"
        "# INSERT INTO `members` VALUES (8,'comment',NULL,NULL,NULL);\n"
    )
    text = dump(MEMBERS, routine, insert("members", PEOPLE[:1]))
    [table] = open_tables(write(tmp_path / "r.sql", text))
    assert [row[0] for row in rows_of(table)] == ["1"]


def test_use_statements_qualify_labels(tmp_path: Path) -> None:
    text = dump(
        "USE `broker`;\n",
        MEMBERS,
        insert("members", PEOPLE[:1]),
        "USE `other`;\n",
        insert("members", PEOPLE[1:2]),
    )
    labels = [t.label for t in open_tables(write(tmp_path / "u.sql", text))]
    assert labels == ["u.sql!/broker.members", "u.sql!/other.members"]


@pytest.mark.parametrize(
    ("encoding", "charset"),
    [
        ("utf-16", "utf8mb4"),
        ("utf-8-sig", "utf8mb4"),
        ("cp932", "cp932"),
        ("cp932", "sjis"),
        ("euc_jp", "ujis"),
    ],
)
def test_encodings(tmp_path: Path, encoding: str, charset: str) -> None:
    text = dump(
        MEMBERS,
        insert("members", PEOPLE[:1] + [(5, "高橋 表示", "ソ十", "ﾊﾝｶｸ", None)]),
        charset=charset,
    )
    [table] = open_tables(write(tmp_path / "e.sql", text, encoding))
    assert table.encoding == ("utf-16" if encoding == "utf-16" else encoding)
    assert [row[1:3] for row in rows_of(table)] == [
        ("山田 太郎", "東京都千代田区千代田1-1"),
        ("高橋 表示", "ソ十"),
    ]


def test_cp932_without_set_names_is_detected(tmp_path: Path) -> None:
    text = dump(MEMBERS, insert("members", PEOPLE[:1])).replace(
        "/*!40101 SET NAMES utf8mb4 */;\n", ""
    )
    [table] = open_tables(write(tmp_path / "e.sql", text, "cp932"))
    assert table.encoding == "cp932" and rows_of(table)[0][1] == "山田 太郎"


def test_binary_values_keep_a_declared_encoding(tmp_path: Path) -> None:
    blob = b"'\xff\xfe\x00\\0ab'"  # raw bytes of a BLOB dumped without --hex-blob
    data = (
        dump(MEMBERS).encode()
        + b"INSERT INTO `members` VALUES (1,'\xe5\xb1\xb1',NULL,NULL,"
        + blob
        + b");\n"
    )
    (tmp_path / "b.sql").write_bytes(data)
    [table] = open_tables(Unit(label="b.sql", path=tmp_path / "b.sql"))
    assert rows_of(table) == [("1", "山", None, None, "0x" + b"\xff\xfe\x00\x00ab".hex())]


def test_long_lines_and_block_boundaries(tmp_path: Path, small_blocks: int) -> None:
    people = [
        (i, f"名前{i}" * (i % 7), f"住所'{i}'\n" * (i % 3), f"0{i:09d}", None)
        for i in range(1, 400)
    ]
    people.append((400, "長い" * 2000, "x", "y", "z"))  # one row longer than a block
    text = dump(
        MEMBERS, insert("members", people[:150]), insert("members", people[150:], newline=True)
    )
    [table] = open_tables(write(tmp_path / "l.sql", text))
    assert rows_of(table) == [tuple(None if v is None else str(v) for v in row) for row in people]


def test_batches_are_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_sql, "BATCH_ROWS", 7)
    people = [(i, f"人{i}", None, None, None) for i in range(1, 51)]
    [table] = open_tables(write(tmp_path / "b.sql", dump(MEMBERS, insert("members", people))))
    heights = [frame.height for frame in table.batches]
    assert sum(heights) == 50 and max(heights) <= 7


def test_syntax_error_part_way_keeps_the_rows_before(tmp_path: Path) -> None:
    good = insert("members", PEOPLE[:2])
    bad = "INSERT INTO `members` VALUES (3,'秘密 花子','x',NULL,NULL),(4,'秘密 次郎' 'oops' garbage);\n"
    unit = write(tmp_path / "m.sql", dump(MEMBERS, good, bad))
    [table] = open_tables(unit)
    seen: list[tuple[object, ...]] = []
    with pytest.raises(FormatError) as caught:
        for frame in table.batches:
            seen += frame.rows()
    assert [row[0] for row in seen] == ["1", "2", "3"]
    message = str(caught.value)
    assert "line 29" in message and "byte" in message
    assert "秘密" not in message and "oops" not in message


def test_truncated_dump_is_an_error_after_its_rows(tmp_path: Path) -> None:
    text = dump(MEMBERS, insert("members", PEOPLE))
    unit = write(tmp_path / "t.sql", text[: text.index("'NULL'") + 4])
    [table] = open_tables(unit)
    seen = []
    with pytest.raises(FormatError, match="ends inside an INSERT"):
        for frame in table.batches:
            seen += frame.rows()
    assert [row[0] for row in seen] == ["1", "2"]


def test_insert_forms_it_cannot_read_make_the_table_partial(tmp_path: Path) -> None:
    text = dump(
        MEMBERS, insert("members", PEOPLE[:1]), "INSERT INTO `members` SELECT * FROM `old`;\n"
    )
    [table] = open_tables(write(tmp_path / "s.sql", text))
    rows = []
    with pytest.raises(FormatError, match="INSERT ... VALUES"):
        for frame in table.batches:
            rows += frame.rows()
    assert len(rows) == 1


def test_a_declaration_the_text_contradicts_loses(tmp_path: Path) -> None:
    text = dump(MEMBERS, insert("members", PEOPLE[:1] + [(2, "表示 十蔵", "ソ", None, None)]))
    [table] = open_tables(write(tmp_path / "e.sql", text, "cp932"))  # says utf8mb4, is CP932
    assert table.encoding == "cp932"
    assert [row[1] for row in rows_of(table)] == ["山田 太郎", "表示 十蔵"]


def test_undecodable_bytes_part_way(tmp_path: Path) -> None:
    people = PEOPLE[:1] + [(2, "山田 二郎", None, None, None)] * 3000
    head = dump(MEMBERS, insert("members", people), charset="cp932").encode("cp932")
    (tmp_path / "d.sql").write_bytes(head + b"INSERT INTO `members` VALUES (9,'\x81\x20');\n")
    [table] = open_tables(Unit(label="d.sql", path=tmp_path / "d.sql"))
    # Issue 9 (was: a DecodeError after the 3001 rows before the bad bytes): replaced, noted
    rows = [row for frame in table.batches for row in frame.rows()]
    assert len(rows) == 3002 and "\ufffd" in rows[-1][1]
    assert table.details == {"replaced_sequences": 1, "first_replaced_offsets": str(len(head) + 33)}
    assert any("could not be read as text" in note for note in table.notes)


def test_empty_and_schema_only_dumps(tmp_path: Path) -> None:
    [table] = open_tables(write(tmp_path / "s.sql", dump(MEMBERS)))
    assert table.columns == COLUMNS and rows_of(table) == []
    assert "no rows" in table.notes[0]
    [empty] = open_tables(write(tmp_path / "e.sql", dump()))
    assert empty.label == "e.sql" and rows_of(empty) == [] and empty.notes


def test_recognised_by_content_not_name(tmp_path: Path) -> None:
    assert sqldump_mysql.sniff(_probe(write(tmp_path / "a.txt", dump(MEMBERS))))
    assert sqldump_mysql.sniff(_probe(write(tmp_path / "b", "INSERT INTO `x` VALUES (1);\n")))
    assert not sqldump_mysql.sniff(_probe(write(tmp_path / "c.sql", "氏名,電話\n山田,090\n")))
    [csv] = open_tables(write(tmp_path / "d.sql", "氏名,電話\n山田,090\n"))
    assert csv.kind == "csv"


def _probe(unit: Unit):
    from verifydel.formats._probe import Probe

    assert unit.path is not None
    return Probe.read(unit.path)


# --- property: whatever the values, they come back --------------------------------------

_TEXT = st.text(
    alphabet=st.sampled_from(list("山田太郎ｶﾅ abc019'\"\\\n\r\t,;()NUL\x00\x1a%_-")), max_size=12
)
_VALUE = st.one_of(st.none(), _TEXT, st.integers(-(10**6), 10**6))


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(_VALUE, _VALUE, _VALUE), min_size=1, max_size=40),
    split=st.integers(1, 40),
)
def test_any_values_round_trip(tmp_path: Path, small_blocks: int, rows: list, split: int) -> None:
    text = dump(insert("t", rows[:split]), insert("t", rows[split:]) if rows[split:] else "")
    [table] = open_tables(write(tmp_path / "p.sql", text))
    assert rows_of(table) == [tuple(None if v is None else str(v) for v in row) for row in rows]


# --- the real mariadb-dump --------------------------------------------------------------


def _needed(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"{tool} is required under CI=true")
        pytest.skip(f"{tool} is not installed")
    return found


def test_real_mariadb_dump(tmp_path: Path) -> None:
    client, dumper = _needed("mariadb"), shutil.which("mariadb-dump") or _needed("mysqldump")
    name = f"vd_test_{os.getpid()}_{tmp_path.name[-6:]}".replace("-", "_")
    setup = (
        f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4; USE `{name}`;"
        "CREATE TABLE `会員` (id INT PRIMARY KEY, `氏名` VARCHAR(50), note TEXT, b BLOB, bits BIT(4));"
        "INSERT INTO `会員` VALUES (1,'山田''s \\\\ x\\n y',NULL,0x00ff41,b'101'),"
        "(2,'佐藤',';)(,',NULL,NULL),(3,'NULL','',0x4142,NULL);"
    )
    done = subprocess.run(
        [client, "-h", "127.0.0.1", "-e", setup], capture_output=True, check=False
    )
    if done.returncode != 0:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("MariaDB not reachable under CI=true")
        pytest.skip("MariaDB not reachable")
    try:
        for options in ([], ["--hex-blob", "--complete-insert", "--skip-extended-insert"]):
            out = tmp_path / f"m{len(options)}.sql"
            with open(out, "wb") as fh:
                subprocess.run([dumper, "-h", "127.0.0.1", *options, name], stdout=fh, check=True)
            [table] = open_tables(Unit(label="m.sql", path=out))
            assert (table.label, table.kind) == ("m.sql!/会員", "mysqldump")
            assert table.columns == ["id", "氏名", "note", "b", "bits"]
            assert rows_of(table) == [
                ("1", "山田's \\ x\n y", None, "0x00ff41", "\x05"),
                ("2", "佐藤", ";)(,", None, None),
                ("3", "NULL", "", "AB", None),
            ]
    finally:
        subprocess.run([client, "-h", "127.0.0.1", "-e", f"DROP DATABASE `{name}`"], check=False)


def test_dumps_take_the_fast_path(
    tmp_path: Path, small_blocks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow path read a plain mysqldump")

    monkeypatch.setattr(_sql_values, "_slow", refuse)
    people = [(i, *PEOPLE[i % 3][1:]) for i in range(1, 200)]
    text = dump(
        MEMBERS, insert("members", people[:100]), insert("members", people[100:], newline=True)
    )
    [table] = open_tables(write(tmp_path / "f.sql", text))
    assert rows_of(table) == [tuple(None if v is None else str(v) for v in row) for row in people]


def test_binary_strings_between_text_keep_the_fast_path(tmp_path: Path) -> None:
    rows = b",".join(b"(%d,'\xe5\xb1\xb1',_binary '\xff\\0%d')" % (i, i) for i in range(1, 300))
    data = dump().encode() + b"INSERT INTO `b` VALUES " + rows + b";\n"
    (tmp_path / "b.sql").write_bytes(data)
    [table] = open_tables(Unit(label="b.sql", path=tmp_path / "b.sql"))
    got = rows_of(table)
    assert got[0] == ("1", "山", "0x" + b"\xff\x001".hex()) and len(got) == 299


def test_a_value_that_looks_like_statements_stays_a_value(tmp_path: Path) -> None:
    trap = "x');\nINSERT INTO `other` VALUES (9,'隠し');\n-- "
    text = dump(
        MEMBERS, insert("members", [(1, trap, None, None, None), (2, "b", None, None, None)])
    )
    [table] = open_tables(write(tmp_path / "v.sql", text))
    assert rows_of(table) == [("1", trap, None, None, None), ("2", "b", None, None, None)]


def test_rows_longer_than_the_limit_are_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_sql, "MAX_ROW_BYTES", 64 << 10)
    monkeypatch.setattr(_sql, "READ_BYTES", 4096)
    monkeypatch.setattr(_sql_values, "READ_BYTES", 4096)
    text = dump(
        MEMBERS,
        insert("members", [(1, "a", None, None, None), (2, "長" * 100_000, None, None, None)]),
    )
    [table] = open_tables(write(tmp_path / "l.sql", text))
    with pytest.raises(FormatError, match="a row of more than"):
        rows_of(table)
