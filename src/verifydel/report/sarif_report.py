"""The SARIF report (``--sarif``): SARIF 2.1.0, for code-scanning dashboards.

One run. ``tool.driver`` is verifydel with three rules (``RULES``):

- ``strong-survivor`` (level ``error``): a strong match, one result per match;
- ``weak-agreement`` (level ``warning``): a weak match, one result per match;
- ``source-not-scanned`` (level ``error``): a source that ended ``partial``, ``failed`` or
  ``interrupted``, one result per such source, after the matches. A gap is a *result*, not
  a tool notification: dashboards show results, and a dashboard that looked clean over a
  scan with gaps would say what the exit code never says. So a dashboard gating on
  ``error`` fails exactly when ``scan --fail-on strong`` exits non-zero, and one gating on
  ``warning`` too exactly when the default ``--fail-on any`` does.

A result's location is the source as an ``artifactLocation.uri`` (``source_uri``: a
relative path stays a relative reference, an absolute one becomes ``file:///...``, a
database source keeps its scheme; everything else percent-encoded, so ``#recovered`` is
``%23recovered`` while the ``!/`` of archive members stays) and its ``index`` in
``run.artifacts`` (every source, with ``sha-256`` and ``length`` where known). The region
is ``startLine`` = row + 1 (the header line is line 1, so for a CSV file with a header and
no line break inside a cell it is the line number; for a sheet or a table it is only the
row's position) or, for a match located by ``offset``, ``byteOffset``.
``properties`` carries the match as in the JSON report (``record_id``, ``strength``,
``fields``, ``row``, ``offset``, ``page``, ``recovered``...).

Messages name fields, never values; the SARIF report holds no clear value even with
``--show-values`` (dashboards are shared more widely than evidence files). Results are
one per line in compact JSON, built with polars string expressions (a report can hold
millions of matches); the rest is ``json.dumps(indent=2)``. Same report in, same bytes out.
"""

from __future__ import annotations

import json
import re
import shlex
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

import polars as pl

from verifydel.core.coverage import INTERRUPTED, SCANNED
from verifydel.report._matches import canonical_fields, ordered_matches
from verifydel.report._text import json_string_literals
from verifydel.report.json_report import SUMMARY_KEYS, TOOL_NAME
from verifydel.report.model import Report

SARIF_VERSION = "2.1.0"
#: The official schema (OASIS SARIF 2.1.0 Errata 01); tests/data ships a copy.
SARIF_SCHEMA_URI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

STRONG_RULE, WEAK_RULE, GAP_RULE = 0, 1, 2
#: The rules, in ``ruleIndex`` order. Their ids are API (dashboards key alerts on them).
RULES: tuple[dict[str, Any], ...] = (
    {
        "id": "strong-survivor",
        "name": "StrongSurvivor",
        "shortDescription": {"text": "A leaked record survives (strong match)."},
        "fullDescription": {
            "text": "Data here agrees with one leaked record on at least two of name, address and "
            "phone: the leaked record was not deleted here."
        },
        "help": {
            "text": "Delete the data (and its copies, backups and exports), then scan again. "
            "The JSON report's matches name the leaked record (record_id)."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["privacy", "data-deletion"], "precision": "high"},
    },
    {
        "id": "weak-agreement",
        "name": "WeakAgreement",
        "shortDescription": {"text": "Data agrees with a leaked record on one field (weak match)."},
        "fullDescription": {
            "text": "Data here agrees with one leaked record on exactly one of phone and address "
            "(postal code, e-mail and birth date may corroborate): it may be the same person."
        },
        "help": {"text": "Review the data: delete it if it is the leaked record, then scan again."},
        "defaultConfiguration": {"level": "warning"},
        "properties": {"tags": ["privacy", "data-deletion"], "precision": "medium"},
    },
    {
        "id": "source-not-scanned",
        "name": "SourceNotScanned",
        "shortDescription": {"text": "A source could not be scanned completely."},
        "fullDescription": {
            "text": "A source ended partial, failed or interrupted: what was not read cannot be "
            "ruled out, so deletion is not confirmed."
        },
        "help": {
            "text": "Read the reason in the message, fix it (a password, a raised limit, a readable "
            "copy, an uninterrupted run) and scan again."
        },
        "defaultConfiguration": {"level": "error"},
        "properties": {"tags": ["privacy", "coverage"], "precision": "high"},
    },
)

_RULE_HEAD = {
    index: f'{{"ruleId":"{RULES[index]["id"]}","ruleIndex":{index},'
    f'"level":"{RULES[index]["defaultConfiguration"]["level"]}",'
    for index in (STRONG_RULE, WEAK_RULE)
}
_MATCH_FINGERPRINT = "verifydelMatch/v1"
_SOURCE_FINGERPRINT = "verifydelSource/v1"
#: The database sources verifydel names by URI (anything else is a file path).
_DATABASE_URI = re.compile(r"^(sqlite|postgresql|postgres|mysql|mariadb)://([^/]*)(.*)$", re.DOTALL)
#: Characters left as they are in a path (RFC 3986 pchar less ":", which would read as a
#: scheme in a relative reference's first segment); "!" keeps ``archive!/member`` readable.
_PATH_SAFE = "/!$&'()*+,;=@"
_SUB_DELIMS = "!$&'()*+,;="
# Results sit at depth 4 of the indent=2 document: runs[0].results[i].
_RESULTS_TAIL = '"results": []\n    }\n  ]\n}'
_RESULT_INDENT = "\n        "


def _authority(authority: str) -> str:
    userinfo, at, hostport = authority.rpartition("@")
    host, colon, port = hostport.rpartition(":")
    if not colon or not port.isdigit():
        host, colon, port = hostport, "", ""
    encoded_host = host if re.fullmatch(r"\[[0-9A-Fa-f:.]+\]", host) else quote(host, safe=_SUB_DELIMS)
    return quote(userinfo, safe=_SUB_DELIMS + ":") + at + encoded_host + colon + port


def source_uri(path: str) -> str:
    """A report's source path as a URI reference (RFC 3986), percent-encoded as UTF-8."""
    database = _DATABASE_URI.match(path)
    if database:
        scheme, authority, rest = database.groups()
        return f"{scheme}://{_authority(authority)}{quote(rest, safe=_PATH_SAFE)}"
    encoded = quote(path, safe=_PATH_SAFE)
    return "file://" + encoded if path.startswith("/") else encoded


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _match_message(strength: str | None, fields: list[str] | None, recovered: bool | None) -> str:
    agreed = _and(canonical_fields(fields)) if fields else "no field"
    text = (
        f"A leaked record survives here (strong match): it agrees on {agreed}."
        if strength == "strong"
        else f"A leaked record may survive here (weak match): it agrees on {agreed} only; review it."
    )
    if recovered:
        text += " Found in space the file had freed: deleted data still on disk."
    return text


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _utc(timestamp: str) -> str | None:
    """An ISO-8601 time as SARIF writes it (UTC, ``Z``); None if there is none to give."""
    try:
        moment = datetime.fromisoformat(timestamp)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _artifact_index(report: Report) -> dict[str, int]:
    index: dict[str, int] = {}
    for source in report.sources:
        index.setdefault(source.path, len(index))
    return index


def _artifacts(report: Report) -> list[dict[str, Any]]:
    artifacts: list[dict[str, Any]] = []
    seen: set[str] = set()
    for source in report.sources:
        if source.path in seen:
            continue
        seen.add(source.path)
        artifact: dict[str, Any] = {"location": {"uri": source_uri(source.path)}}
        if source.bytes is not None:
            artifact["length"] = source.bytes
        artifact["roles"] = ["analysisTarget"]
        if source.encoding:
            artifact["encoding"] = source.encoding
        if source.sha256:
            artifact["hashes"] = {"sha-256": source.sha256}
        artifact["properties"] = {"kind": source.kind, "status": source.status, "rows": source.rows}
        artifacts.append(artifact)
    return artifacts


def _invocation(report: Report) -> dict[str, Any]:
    run = report.run
    invocation: dict[str, Any] = {
        "executionSuccessful": not any(s.status == INTERRUPTED for s in report.sources),
        "exitCode": int(report.exit_code),
        "exitCodeDescription": report.verdict,
    }
    for key, value in (("startTimeUtc", _utc(report.started_at)), ("endTimeUtc", _utc(report.finished_at))):
        if value:
            invocation[key] = value
    if run.command:
        invocation["commandLine"] = shlex.join(run.command)  # secrets are already "***"
    if run.host:
        invocation["machine"] = run.host
    properties = {"operator": run.operator, "case": run.case, "fail_on": run.fail_on}
    invocation["properties"] = {k: v for k, v in properties.items() if v is not None}
    return invocation


def sarif_document(report: Report) -> dict[str, Any]:
    """The SARIF log with an empty ``results`` (the last key of the run)."""
    summary = report.summary
    pack = report.pack
    return {
        "$schema": SARIF_SCHEMA_URI,
        "version": SARIF_VERSION,
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL_NAME,
                        "version": report.tool_version,
                        "rules": [dict(rule) for rule in RULES],
                        "properties": {"normalisation": report.normalisation},
                    }
                },
                "invocations": [_invocation(report)],
                "artifacts": _artifacts(report),
                "properties": {
                    "verdict": report.verdict,
                    "pack": {
                        "sha256": pack.sha256,
                        "records": pack.records,
                        "normalisation": pack.normalisation,
                        "key_id": pack.key_id,
                        **({"id_column_personal": True} if pack.id_column_personal else {}),
                        **({"format": pack.format, "tier": pack.tier} if pack.tier != "full" else {}),
                    },
                    "summary": {key: int(summary.get(key, 0)) for key in SUMMARY_KEYS},
                },
                "results": [],
            }
        ],
    }


def _per_distinct(matches: pl.DataFrame, keys: list[str], name: str, render: Any) -> pl.DataFrame:
    """Add column ``name``: ``render(*keys)`` computed once per distinct combination of keys."""
    distinct = matches.select(keys).unique(maintain_order=True)
    rendered = [render(*row) for row in distinct.iter_rows()]
    table = distinct.with_columns(pl.Series(name, rendered, dtype=pl.String()))
    return matches.join(table, on=keys, how="left", nulls_equal=True, maintain_order="left")


def _optional(matches: pl.DataFrame, column: str) -> pl.Expr | None:
    if column not in matches.columns:
        return None
    return pl.concat_str([pl.lit(f'"{column}":'), pl.col(column).cast(pl.String)])


def _match_results(report: Report) -> pl.Series:
    """One compact SARIF result per match, in report order."""
    matches = ordered_matches(report)
    index = _artifact_index(report)
    recovered = "recovered" if "recovered" in matches.columns else None
    matches = _per_distinct(
        matches,
        ["strength", "fields", *([recovered] if recovered else [])],
        "__message",
        lambda strength, fields, *rest: _compact({"text": _match_message(strength, fields, rest[0] if rest else None)}),
    )

    def artifact_location(source: str) -> str:
        where: dict[str, Any] = {"uri": source_uri(source)}
        if source in index:
            where["index"] = index[source]
        return _compact(where)

    matches = _per_distinct(matches, ["source"], "__where", artifact_location)
    lists = [c for c in ("fields", "disagreed", "missing") if c in matches.columns]
    for column in lists:
        matches = _per_distinct(
            matches,
            [column],
            f"__{column}",
            lambda fields, column=column: None if fields is None else f'"{column}":' + _compact(canonical_fields(fields)),
        )
    offset = pl.col("offset") if "offset" in matches.columns else pl.lit(None, dtype=pl.Int64())
    page = pl.col("page") if "page" in matches.columns else pl.lit(None, dtype=pl.Int64())
    fingerprint = pl.concat_str(
        [pl.col(c).cast(pl.String).fill_null("") for c in ("source", "row")]
        + [offset.cast(pl.String).fill_null(""), page.cast(pl.String).fill_null("")]
        + [pl.col("record_id").cast(pl.String).fill_null("")],
        separator="|",
    )
    matches = matches.with_columns(
        json_string_literals(matches.select(fingerprint.alias("__fingerprint"))["__fingerprint"]),
        json_string_literals(matches["record_id"]).fill_null("null").alias("__record_id"),
        json_string_literals(matches["strength"]).fill_null("null").alias("__strength"),
    )
    region = (
        pl.when(pl.col("row").is_not_null())
        .then(pl.concat_str([pl.lit(',"region":{"startLine":'), (pl.col("row") + 1).cast(pl.String), pl.lit("}")]))
        .when(offset.is_not_null())
        .then(pl.concat_str([pl.lit(',"region":{"byteOffset":'), offset.cast(pl.String), pl.lit("}")]))
        .otherwise(pl.lit(""))
    )
    properties = pl.concat_str(
        [
            e
            for e in (
                pl.concat_str([pl.lit('"record_id":'), pl.col("__record_id")]),
                pl.concat_str([pl.lit('"strength":'), pl.col("__strength")]),
                *(pl.col(f"__{c}") for c in lists),
                _optional(matches, "row"),
                _optional(matches, "offset"),
                _optional(matches, "page"),
                _optional(matches, "recovered"),
            )
            if e is not None
        ],
        separator=",",
        ignore_nulls=True,
    )
    strong = pl.col("strength") == "strong"
    item = pl.concat_str(
        [
            pl.when(strong).then(pl.lit(_RULE_HEAD[STRONG_RULE])).otherwise(pl.lit(_RULE_HEAD[WEAK_RULE])),
            pl.lit('"message":'),
            pl.col("__message"),
            pl.lit(',"locations":[{"physicalLocation":{"artifactLocation":'),
            pl.col("__where"),
            region,
            pl.lit('}}],"partialFingerprints":{' + json.dumps(_MATCH_FINGERPRINT) + ":"),
            pl.col("__fingerprint"),
            pl.lit('},"properties":{'),
            properties,
            pl.lit("}}"),
        ]
    )
    return matches.select(item.alias("item"))["item"]


def _gap_results(report: Report) -> list[str]:
    """One compact result per source not scanned completely, in source order."""
    index = _artifact_index(report)
    results = []
    for source in report.sources:
        if source.status == SCANNED:
            continue
        reason = f": {source.error}" if source.error else ""
        result = {
            "ruleId": RULES[GAP_RULE]["id"],
            "ruleIndex": GAP_RULE,
            "level": RULES[GAP_RULE]["defaultConfiguration"]["level"],
            "message": {"text": f"Not scanned completely ({source.status}){reason}"},
            "locations": [
                {"physicalLocation": {"artifactLocation": {"uri": source_uri(source.path), "index": index[source.path]}}}
            ],
            "partialFingerprints": {_SOURCE_FINGERPRINT: source.path},
            "properties": {"status": source.status, "kind": source.kind, "rows": source.rows},
        }
        results.append(_compact(result))
    return results


def render_sarif(report: Report, *, show_values: bool = False) -> str:
    """The SARIF log as text. ``show_values`` is accepted and ignored: never a clear value.

    Measured on 1M matches (2-core Xeon, polars 2.1, a loaded machine): about 6 s for a
    500 MB log; the results are joined to the head inside polars, since each copy of a
    string that size in Python costs seconds."""
    del show_values
    head = json.dumps(sarif_document(report), ensure_ascii=False, indent=2)
    gaps = pl.Series("item", _gap_results(report), dtype=pl.String())
    if report.matches.height == 0 and gaps.is_empty():
        return head + "\n"
    assert head.endswith(_RESULTS_TAIL)
    items = pl.concat([_match_results(report), gaps]) if report.matches.height else gaps
    prefix = head[: -len("[]\n    }\n  ]\n}")] + "[" + _RESULT_INDENT
    whole = pl.concat_str([pl.lit(prefix), pl.col("item").str.join("," + _RESULT_INDENT), pl.lit("\n      ]\n    }\n  ]\n}\n")])
    text: str = items.to_frame("item").select(whole.alias("log"))["log"].item()
    return text


__all__ = ["RULES", "SARIF_SCHEMA_URI", "SARIF_VERSION", "render_sarif", "sarif_document", "source_uri"]
