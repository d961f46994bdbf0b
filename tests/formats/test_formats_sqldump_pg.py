"""pg_dump output: plain (COPY and INSERT forms) and custom/directory/tar archives, made by the
local pg_dump from the local server, plus hand-written dumps for what pg_dump never writes."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from verifydel.core.limits import LimitExceeded
from verifydel.errors import FormatError, SourceError
from verifydel.formats import open_tables
from verifydel.formats.sqldump import _sql_values
from verifydel.formats.sqldump import pg_archive as pgdump_archive
from verifydel.core.table import Table
from verifydel.core.unit import Unit

PG = ["-h", "127.0.0.1", "-d", "test"]


def required(tool: str) -> str:
    """The tool's path; absent, the test is skipped, except under CI=true where that fails."""
    found = shutil.which(tool)
    if found is None:
        unavailable(f"{tool} is not installed")
    assert found is not None
    return found


def unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: these tests must run)")
    pytest.skip(reason)


def psql(sql: str) -> None:
    done = subprocess.run(
        [required("psql"), *PG, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        unavailable("PostgreSQL at 127.0.0.1:5432 (database test) is not reachable")


#: (氏名, 住所, 電話番号, note): what pg_dump must carry through every form.
PEOPLE = [
    ("山田 太郎", "東京都千代田区千代田1-1", "090-1111-2222", None),
    ("O'Brien", "tab\there\nnewline\r\\back\\slash", "", "\\N"),
    ("鈴木 一郎", "カンマ, (括弧); セミコロン \\. ", None, "E'x'"),
]


@pytest.fixture(scope="module")
def schema() -> Iterator[str]:
    name = f"vd_test_{secrets.token_hex(4)}"
    rows = ",".join(
        "("
        + ",".join("NULL" if v is None else "'" + v.replace("'", "''") + "'" for v in row)
        + (",'\\x00ff41',1.5)" if i == 0 else ",NULL,NULL)")
        for i, row in enumerate(PEOPLE)
    )
    psql(
        f"CREATE SCHEMA {name}; CREATE TABLE {name}.members (id integer GENERATED ALWAYS AS IDENTITY, "
        f'"氏名" text, "住所" text, "電話番号" text, note text, b bytea, n numeric);'
        f'INSERT INTO {name}.members ("氏名", "住所", "電話番号", note, b, n) VALUES {rows};'
        f'CREATE TABLE {name}."会員 一覧" (id int, memo text); INSERT INTO {name}."会員 一覧" VALUES (1, \'a\');'
        f"CREATE TABLE {name}.empty_t (id int);"
    )
    try:
        yield name
    finally:
        psql(f"DROP SCHEMA {name} CASCADE")


def pg_dump(schema: str, out: Path, *options: str) -> Unit:
    subprocess.run([required("pg_dump"), *PG, "-n", schema, "-f", str(out), *options], check=True)
    return Unit(label=out.name, path=out)


def rows_of(table: Table) -> list[tuple[object, ...]]:
    return [row for frame in table.batches for row in frame.rows()]


def expected(schema: str, label: str) -> dict[str, list[tuple[object, ...]]]:
    members = [
        (str(i), *row, "\\x00ff41" if i == 1 else None, "1.5" if i == 1 else None)
        for i, row in enumerate(PEOPLE, 1)
    ]
    return {
        f"{label}!/{schema}.members": members,
        f"{label}!/{schema}.会員 一覧": [("1", "a")],
        f"{label}!/{schema}.empty_t": [],
    }


def read_all(unit: Unit) -> dict[str, list[tuple[object, ...]]]:
    tables = open_tables(unit)
    assert all(t.kind == "pg_dump" for t in tables)
    return {t.label: rows_of(t) for t in tables}


@pytest.mark.parametrize(
    "options",
    [
        [],
        ["--inserts"],
        ["--column-inserts"],
        ["--column-inserts", "--rows-per-insert=2", "--on-conflict-do-nothing"],
        ["--encoding=SJIS"],
    ],
    ids=["copy", "inserts", "column-inserts", "rows-per-insert", "sjis"],
)
def test_plain_dumps(tmp_path: Path, schema: str, options: list[str]) -> None:
    unit = pg_dump(schema, tmp_path / "dump.sql", *options)
    assert read_all(unit) == expected(schema, "dump.sql")
    [members] = [t for t in open_tables(unit) if t.label.endswith(".members")]
    assert members.columns == ["id", "氏名", "住所", "電話番号", "note", "b", "n"]
    assert members.encoding == ("cp932" if options == ["--encoding=SJIS"] else "utf-8")


@pytest.mark.parametrize(
    "options",
    [
        ["-Fc"],
        ["-Fc", "-Z0"],
        ["-Fc", "--inserts"],
        ["-Fd"],
        ["-Fd", "-Z0"],
        ["-Ft"],
        ["-Fc", "--encoding=SJIS"],
    ],
    ids=[
        "custom",
        "custom-uncompressed",
        "custom-inserts",
        "directory",
        "directory-uncompressed",
        "tar",
        "custom-sjis",
    ],
)
def test_archives_stream_through_pg_restore(
    tmp_path: Path, schema: str, options: list[str]
) -> None:
    required("pg_restore")
    out = tmp_path / "archive"
    pg_dump(schema, out, *options)
    unit = (
        Unit(label="toc.dat", path=out / "toc.dat")
        if "-Fd" in options
        else Unit(label="a", path=out)
    )
    assert read_all(unit) == expected(schema, unit.label)
    if "-Fd" in options:  # its data files are parts of the archive: no rows of their own
        for part in sorted(out.iterdir()):
            if part.name != "toc.dat":
                [table] = open_tables(Unit(label=part.name, path=part))
                assert table.notes == [pgdump_archive.PART_NOTE] and rows_of(table) == []


def test_archive_without_pg_restore(
    tmp_path: Path, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    unit = pg_dump(schema, tmp_path / "a.dump", "-Fc")
    monkeypatch.setattr(pgdump_archive.shutil, "which", lambda name: None)
    table = open_tables(unit)[0]
    with pytest.raises(SourceError, match="pg_restore is not installed"):
        rows_of(table)


def test_restore_output_is_bounded(
    tmp_path: Path, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    required("pg_restore")
    unit = pg_dump(schema, tmp_path / "a.dump", "-Fc")
    monkeypatch.setattr(pgdump_archive, "RESTORE_GRACE_BYTES", 100)
    monkeypatch.setattr(pgdump_archive, "RESTORE_RATIO", 0)
    with pytest.raises(LimitExceeded, match="restore-ratio"):
        rows_of(open_tables(unit)[0])


def test_corrupt_or_unknown_archives(tmp_path: Path) -> None:
    (tmp_path / "cut.dump").write_bytes(b"PGDMP\x01\x0e\x00\x04\x08\x01\x01\x00\x00")
    with pytest.raises(FormatError, match="truncated"):
        open_tables(Unit(label="cut.dump", path=tmp_path / "cut.dump"))
    (tmp_path / "new.dump").write_bytes(b"PGDMP\x01\x63\x00\x04\x08\x01" + b"\x00" * 64)
    with pytest.raises(FormatError, match="not supported"):
        open_tables(Unit(label="new.dump", path=tmp_path / "new.dump"))


def test_real_dumps_take_the_fast_paths(
    tmp_path: Path, schema: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("the slow path read a pg_dump INSERT")

    monkeypatch.setattr(_sql_values, "_slow", refuse)
    for options in (["--inserts"], ["--column-inserts", "--rows-per-insert=2"]):
        unit = pg_dump(schema, tmp_path / "d.sql", *options)
        assert read_all(unit) == expected(schema, "d.sql")


# --- hand-written: what pg_dump does not write, and broken dumps ------------------------

HEAD = "--\n-- PostgreSQL database dump\n--\n\nSET client_encoding = 'UTF8';\nSET standard_conforming_strings = on;\n\n"


def write(tmp_path: Path, text: str, name: str = "h.sql") -> Unit:
    (tmp_path / name).write_bytes(text.encode("utf-8"))
    return Unit(label=name, path=tmp_path / name)


def test_copy_escapes_and_line_ends(tmp_path: Path) -> None:
    text = HEAD + (
        "COPY public.t (a, b) FROM stdin;\n"
        "\\344\\270\\200\\x41\t\\N\n"  # octal UTF-8 bytes of 一, hex A
        "\\\\N\t\\b\\f\\v\\z\\\\.\n"
        "\t\r\n"  # an empty string, and a CRLF line end
        "\\.\r\n"
        "COPY public.single FROM stdin;\nx\n\ny\n\\.\n"
    )
    tables = {t.label: rows_of(t) for t in open_tables(write(tmp_path, text))}
    assert tables["h.sql!/public.t"] == [("一A", None), ("\\N", "\b\f\vz\\."), ("", "")]
    assert tables["h.sql!/public.single"] == [("x",), ("",), ("y",)]


def test_strings_with_backslash_escapes(tmp_path: Path) -> None:
    text = HEAD + (
        "CREATE TABLE public.t (a text, b text, c text);\n"
        "INSERT INTO public.t VALUES (E'it\\'s\\n\\u5c71', 'plain \\ kept', B'101');\n"
        "SET standard_conforming_strings = off;\n"
        "INSERT INTO public.t VALUES ('now \\'escaped\\'\\t', 'x''y', '1'::text);\n"
    )
    [table] = open_tables(write(tmp_path, text))
    assert rows_of(table) == [
        ("it's\n山", "plain \\ kept", "B'101'"),
        ("now 'escaped'\t", "x'y", "1"),
    ]


def test_pg_dumpall_databases_qualify_labels(tmp_path: Path) -> None:
    text = (
        "--\n-- PostgreSQL database cluster dump\n--\n\n\\connect broker\n\n"
        + HEAD
        + "COPY public.t (a) FROM stdin;\n1\n\\.\n\\connect other\n\nCOPY public.t (a) FROM stdin;\n2\n\\.\n"
    )
    tables = {t.label: rows_of(t) for t in open_tables(write(tmp_path, text))}
    assert tables == {"h.sql!/broker.public.t": [("1",)], "h.sql!/other.public.t": [("2",)]}


def test_copy_line_with_wrong_field_count(tmp_path: Path) -> None:
    lines = "".join(f"{i}\t名前{i}\n" for i in range(1, 6)) + "6\t秘密 花子\textra\n7\tx\n"
    unit = write(tmp_path, HEAD + f"COPY public.t (a, b) FROM stdin;\n{lines}\\.\n")
    [table] = open_tables(unit)
    seen: list[tuple[object, ...]] = []
    with pytest.raises(FormatError) as caught:
        for frame in table.batches:
            seen += frame.rows()
    assert [row[0] for row in seen] == ["1", "2", "3", "4", "5"]
    assert "line 14" in str(caught.value) and "秘密" not in str(caught.value)


def test_truncated_copy(tmp_path: Path) -> None:
    unit = write(tmp_path, HEAD + "COPY public.t (a, b) FROM stdin;\n1\tx\n2\ty\n3\t")
    [table] = open_tables(unit)
    seen: list[tuple[object, ...]] = []
    with pytest.raises(FormatError, match="ends inside a COPY block"):
        for frame in table.batches:
            seen += frame.rows()
    assert seen == [("1", "x"), ("2", "y")]


def test_functions_with_dollar_quotes_hold_no_rows(tmp_path: Path) -> None:
    text = HEAD + (
        "CREATE FUNCTION public.f() RETURNS void AS $_$ INSERT INTO public.t VALUES ('x'); $_$ LANGUAGE sql;\n"
        "CREATE FUNCTION public.g() RETURNS void AS $$ BEGIN INSERT INTO t VALUES (1); END $$ LANGUAGE plpgsql;\n"
        "COPY public.t (a) FROM stdin;\nreal\n\\.\n"
    )
    [table] = open_tables(write(tmp_path, text))
    assert rows_of(table) == [("real",)]
