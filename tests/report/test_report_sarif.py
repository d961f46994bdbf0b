"""The SARIF report: valid against the official SARIF 2.1.0 schema, golden bytes, no clear value."""

from __future__ import annotations

import json
import os
import shlex
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft4Validator, FormatChecker
from rfc3986_validator import validate_rfc3986

from verifydel.core.coverage import FAILED, INTERRUPTED, PARTIAL, SCANNED
from verifydel.report import SourceResult
from verifydel.report._matches import canonical_fields, ordered_matches
from verifydel.report.json_report import SUMMARY_KEYS
from verifydel.report.sarif_report import RULES, SARIF_SCHEMA_URI, render_sarif, source_uri

GOLDEN_DIR = Path(__file__).parent / "golden"
SCHEMA_PATH = Path(__file__).parents[1] / "data" / "sarif-schema-2.1.0.json"
#: Run with VERIFYDEL_UPDATE_GOLDEN=1 to rewrite the golden files on purpose (review the diff).
UPDATE_GOLDEN = os.environ.get("VERIFYDEL_UPDATE_GOLDEN") == "1"


@pytest.fixture(scope="module")
def validator() -> Draft4Validator:
    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    assert schema["id"].endswith("/sarif-schema-2.1.0.json") and schema["$schema"].startswith(
        "http://json-schema.org/draft-04/"
    )
    checker = FormatChecker()
    # Without these checkers a bad URI or time would pass unseen (jsonschema[format-nongpl]).
    assert {"uri", "uri-reference", "date-time"} <= set(checker.checkers)
    return Draft4Validator(schema, format_checker=checker)


def _errors(validator: Draft4Validator, document: Any) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _message(strength: str, fields: list[str], recovered: bool | None) -> str:
    agreed = _and(canonical_fields(fields))
    text = (
        f"A leaked record survives here (strong match): it agrees on {agreed}."
        if strength == "strong"
        else f"A leaked record may survive here (weak match): it agrees on {agreed} only; review it."
    )
    if recovered:
        text += " Found in space the file had freed: deleted data still on disk."
    return text


def reference_results(report: Any) -> list[dict[str, Any]]:
    """The results the slow, obvious way: a dict per match, then one per incomplete source."""
    index: dict[str, int] = {}
    for source in report.sources:
        index.setdefault(source.path, len(index))
    results = []
    for m in ordered_matches(report).iter_rows(named=True):
        strong = m["strength"] == "strong"
        where: dict[str, Any] = {"uri": source_uri(m["source"])}
        if m["source"] in index:
            where["index"] = index[m["source"]]
        physical: dict[str, Any] = {"artifactLocation": where}
        if m["row"] is not None:
            physical["region"] = {"startLine": m["row"] + 1}
        elif m.get("offset") is not None:
            physical["region"] = {"byteOffset": m["offset"]}
        properties: dict[str, Any] = {"record_id": m["record_id"], "strength": m["strength"]}
        for key in ("fields", "disagreed", "missing"):
            if m.get(key) is not None:
                properties[key] = canonical_fields(m[key])
        for key in ("row", "offset", "page", "recovered"):
            if m.get(key) is not None:
                properties[key] = m[key]
        fingerprint = "|".join("" if m.get(k) is None else str(m[k]) for k in ("source", "row", "offset", "page", "record_id"))
        results.append(
            {
                "ruleId": "strong-survivor" if strong else "weak-agreement",
                "ruleIndex": 0 if strong else 1,
                "level": "error" if strong else "warning",
                "message": {"text": _message(m["strength"], m["fields"], m.get("recovered"))},
                "locations": [{"physicalLocation": physical}],
                "partialFingerprints": {"verifydelMatch/v1": fingerprint},
                "properties": properties,
            }
        )
    for source in report.sources:
        if source.status == SCANNED:
            continue
        reason = f": {source.error}" if source.error else ""
        results.append(
            {
                "ruleId": "source-not-scanned",
                "ruleIndex": 2,
                "level": "error",
                "message": {"text": f"Not scanned completely ({source.status}){reason}"},
                "locations": [{"physicalLocation": {"artifactLocation": {"uri": source_uri(source.path), "index": index[source.path]}}}],
                "partialFingerprints": {"verifydelSource/v1": source.path},
                "properties": {"status": source.status, "kind": source.kind, "rows": source.rows},
            }
        )
    return results


@pytest.mark.parametrize(("golden", "show_values"), [("report.sarif", False), ("report.sarif", True)])
def test_matches_golden_file_byte_for_byte(samples: Any, golden: str, show_values: bool) -> None:
    rendered = render_sarif(samples.sample_report(), show_values=show_values).encode("utf-8")
    path = GOLDEN_DIR / golden
    if UPDATE_GOLDEN and not show_values:
        path.write_bytes(rendered)
        pytest.skip(f"rewrote {path.name}: review the diff, rerun without VERIFYDEL_UPDATE_GOLDEN")
    assert rendered == path.read_bytes()  # --show-values changes nothing: never a clear value


def test_validates_against_the_official_schema(samples: Any, validator: Draft4Validator) -> None:
    document = json.loads(render_sarif(samples.sample_report()))
    assert _errors(validator, document) == []
    assert document["$schema"] == SARIF_SCHEMA_URI and document["version"] == "2.1.0"


def test_the_validator_does_catch_a_bad_log(samples: Any, validator: Draft4Validator) -> None:
    """The schema check is not vacuous: what the schema forbids is caught."""
    document = json.loads(render_sarif(samples.sample_report()))
    run = document["runs"][0]
    run["results"][0]["level"] = "fatal"
    run["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    run["results"][2]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] = "a b#c#d"
    run["invocations"][0]["startTimeUtc"] = "yesterday"
    errors = _errors(validator, document)
    assert len(errors) == 4, errors


def test_agrees_with_the_slow_reference(samples: Any) -> None:
    report = samples.sample_report()
    rendered = render_sarif(report)
    document = json.loads(rendered)
    (run,) = document["runs"]
    expected = reference_results(report)
    assert run["results"] == expected
    # one result per line, compact, in order
    lines = [line.strip().rstrip(",") for line in rendered.splitlines() if line.startswith('        {"ruleId"')]
    assert lines == [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in expected]


def test_one_run_with_the_tool_its_rules_the_invocation_and_the_artifacts(samples: Any) -> None:
    report = samples.sample_report()
    (run,) = json.loads(render_sarif(report))["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "verifydel" and driver["version"] == "0.1.0"
    assert [rule["id"] for rule in driver["rules"]] == ["strong-survivor", "weak-agreement", "source-not-scanned"]
    assert [rule["defaultConfiguration"]["level"] for rule in driver["rules"]] == ["error", "warning", "error"]
    assert driver["rules"] == [dict(rule) for rule in RULES]
    (invocation,) = run["invocations"]
    assert invocation["executionSuccessful"] is True
    assert invocation["exitCode"] == 3 and invocation["exitCodeDescription"] == "found"
    assert invocation["startTimeUtc"] == "2024-05-01T09:00:00Z"
    assert invocation["endTimeUtc"] == "2024-05-01T09:03:21Z"
    assert invocation["commandLine"] == shlex.join(report.run.command)
    assert "--password '***'" in invocation["commandLine"]
    assert invocation["properties"]["operator"] == "見本 検査官"
    assert [a["location"]["uri"] for a in run["artifacts"]] == [source_uri(s.path) for s in report.sources]
    assert run["artifacts"][0]["hashes"] == {"sha-256": "a1" * 32} and run["artifacts"][0]["length"] == 204800
    assert run["properties"]["verdict"] == "found"
    assert list(run["properties"]["summary"]) == list(SUMMARY_KEYS)
    assert run["properties"]["pack"]["sha256"] == "3f" * 32
    assert list(run) == ["tool", "invocations", "artifacts", "properties", "results"]


def test_levels_and_locations(samples: Any) -> None:
    (run,) = json.loads(render_sarif(samples.sample_report()))["runs"]
    results = run["results"]
    by_rule = {r["ruleId"]: r["level"] for r in results}
    assert by_rule == {"strong-survivor": "error", "weak-agreement": "warning", "source-not-scanned": "error"}
    regions = [r["locations"][0]["physicalLocation"].get("region") for r in results]
    assert regions[:3] == [{"startLine": 4}, {"startLine": 13}, {"startLine": 13}]  # rows 3, 12: header is line 1
    assert {"byteOffset": 1088} in regions and {"byteOffset": 3320} in regions
    gaps = [r for r in results if r["ruleId"] == "source-not-scanned"]
    assert [g["properties"]["status"] for g in gaps] == ["partial", "failed"]
    assert gaps[0]["message"]["text"].startswith("Not scanned completely (partial): stopped at row 41")


def test_the_header_line_is_line_one(samples: Any) -> None:
    sources = [SourceResult(path="a.csv", kind="csv", status=SCANNED, rows=3)]
    report = samples.report_with(sources, [{"source": "a.csv", "row": 0, "record_id": "R", "fields": ["phone"], "strength": "weak"}])
    (run,) = json.loads(render_sarif(report))["runs"]
    assert run["results"][0]["locations"][0]["physicalLocation"]["region"] == {"startLine": 1}


@pytest.mark.parametrize("status", [PARTIAL, FAILED, INTERRUPTED])
def test_every_gap_is_a_result_an_interruption_an_unsuccessful_run(
    samples: Any, validator: Draft4Validator, status: str
) -> None:
    sources = [
        SourceResult(path="ok.csv", kind="csv", status=SCANNED, rows=3),
        SourceResult(path="gap.csv", kind="csv", status=status, rows=1, error=None if status == INTERRUPTED else "why"),
    ]
    report = samples.report_with(sources)
    document = json.loads(render_sarif(report))
    assert _errors(validator, document) == []
    (run,) = document["runs"]
    (result,) = run["results"]
    assert result["ruleId"] == "source-not-scanned" and result["level"] == "error"
    assert result["locations"][0]["physicalLocation"]["artifactLocation"] == {"uri": "gap.csv", "index": 1}
    assert run["invocations"][0]["exitCode"] == 4
    assert run["invocations"][0]["executionSuccessful"] is (status != INTERRUPTED)


def test_a_clean_scan_has_no_result(samples: Any, validator: Draft4Validator) -> None:
    report = samples.report_with([SourceResult(path="a.csv", kind="csv", status=SCANNED, rows=3)])
    rendered = render_sarif(report)
    document = json.loads(rendered)
    assert _errors(validator, document) == []
    assert document["runs"][0]["results"] == [] and document["runs"][0]["invocations"][0]["exitCode"] == 0


def test_no_clear_value_even_with_show_values(samples: Any) -> None:
    for values_in in ("frame", "column"):
        text = render_sarif(samples.sample_report(values_in=values_in), show_values=True)
        assert not any(value in text for value in samples.CLEAR_VALUES)


def test_same_report_gives_same_bytes_whatever_the_match_order(samples: Any) -> None:
    report = samples.sample_report()
    shuffled = replace(report, matches=report.matches.sample(fraction=1.0, shuffle=True, seed=11))
    assert render_sarif(shuffled) == render_sarif(report)


@pytest.mark.parametrize(
    ("path", "uri"),
    [
        ("顧客名簿/2023年 会員一覧.csv", "%E9%A1%A7%E5%AE%A2%E5%90%8D%E7%B0%BF/2023%E5%B9%B4%20%E4%BC%9A%E5%93%A1%E4%B8%80%E8%A6%A7.csv"),
        ("backup.tar.gz!/2022/members.zip!/m.csv", "backup.tar.gz!/2022/members.zip!/m.csv"),
        ("export.zip!/leak.csv#local@120", "export.zip!/leak.csv%23local@120"),
        ("crm.db!/members#recovered", "crm.db!/members%23recovered"),
        ("a?b%c\\d\"e", "a%3Fb%25c%5Cd%22e"),
        ("c:drive.csv", "c%3Adrive.csv"),  # a colon in the first segment would read as a scheme
        ("/mnt/broker/会員.csv", "file:///mnt/broker/%E4%BC%9A%E5%93%A1.csv"),
        ("sqlite:///srv/crm.db!/members", "sqlite:///srv/crm.db!/members"),
        ("sqlite:///srv/crm db.db!/members#recovered", "sqlite:///srv/crm%20db.db!/members%23recovered"),
        ("postgresql://inspector:***@db.local:5432/crm!/public.会員", "postgresql://inspector:***@db.local:5432/crm!/public.%E4%BC%9A%E5%93%A1"),
    ],
)
def test_source_paths_become_uri_references(path: str, uri: str) -> None:
    assert source_uri(path) == uri
    assert validate_rfc3986(uri, rule="URI_reference")


#: Any text a polars string can hold (no lone surrogate).
TEXT = st.characters(exclude_categories=("Cs",))


#: Relative and absolute paths, and database sources named by URI, with anything in them.
PATHS = st.one_of(
    st.text(TEXT, min_size=1, max_size=16),
    st.builds(lambda prefix, rest: prefix + rest, st.sampled_from(["/", "sqlite:///", "postgresql://", "mysql://u:***@"]), st.text(TEXT, max_size=16)),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(paths=st.lists(PATHS, min_size=1, max_size=3, unique=True))
def test_any_path_gives_a_valid_log_and_its_uri_decodes_back(
    samples: Any, validator: Draft4Validator, paths: list[str]
) -> None:
    sources = [SourceResult(path=p, kind="csv", status=PARTIAL, rows=1, error="e") for p in paths]
    matches = [{"source": p, "row": 1, "record_id": p, "fields": ["phone"], "strength": "weak"} for p in paths]
    document = json.loads(render_sarif(samples.report_with(sources, matches)))
    assert _errors(validator, document) == []
    for path in paths:
        uri = source_uri(path)
        assert validate_rfc3986(uri, rule="URI_reference")
        if "://" not in path:
            assert unquote(uri.removeprefix("file://")) == path
