"""verifydel: prove whether a leaked personal-data set is really gone.

The library never prints, never exits and never imports click: the CLI in
``verifydel.cli`` is the only edge that turns results into output and exit codes.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("verifydel")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+src"

__all__ = ["__version__"]
