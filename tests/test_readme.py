"""The README's two commands are what users and CI run: keep them true."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[1]


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Two commands", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```sh\n(.+?)\n```", section)


def test_readme_has_two_commands_demo_first_tests_second() -> None:
    first, second = _commands()
    assert first.endswith("verifydel demo")
    assert second.endswith("pytest") and ".[test]" in second


def test_ci_runs_the_readmes_test_command_exactly() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_project_documents_the_shared_contract_verbatim() -> None:
    shared = ROOT.parent / "shared" / "CONTRACT.md"
    if not shared.exists():  # a checkout without the steering folder beside it
        return
    assert shared.read_text(encoding="utf-8") in (ROOT / "docs" / "contract.md").read_text(encoding="utf-8")
