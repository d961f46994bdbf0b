"""The command line: thin click commands. Parse options, call one library function, render, exit.

``app`` holds the group and the one place that turns exceptions into messages and
exit codes; ``commands`` registers the commands on it (``diff_command``: diff;
``attest_commands``: attest request, answer, finish).
"""

from verifydel.cli import attest_commands as _attest_commands  # noqa: F401  (registers attest)
from verifydel.cli import commands as _commands  # noqa: F401  (registers the commands)
from verifydel.cli import diff_command as _diff_command  # noqa: F401  (registers diff)
from verifydel.cli.app import handle_errors, main, stderr_console

__all__ = ["handle_errors", "main", "stderr_console"]
