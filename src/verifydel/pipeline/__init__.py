"""The one reader: every command that reads media (scan, fingerprint, and what comes) reads it here.

    source → units → container walk, or format → tables → column choice → numbered batches

``read(sources, options, consume, observer)`` expands each source into units,
gives each top-level unit its own budget (the limits and password of
``ReadOptions``), walks containers, opens formats, and hands every table to the
command's ``consume`` with its columns chosen on the first batch. Every failure
of a source, a container or a reader ends as that source's coverage entry
(failed or partial, with the reason), never as an exception out of ``read``;
only a ``UsageError`` (wrong options, or a command refusing what it read) stops it.
"""

from verifydel.pipeline.batches import BatchWork, consume_table
from verifydel.pipeline.columns import ChosenColumns, choose_columns, numbered_batches
from verifydel.pipeline.reader import Consume, Observer, Outcome, read, read_unit, top_units

__all__ = [
    "BatchWork",
    "ChosenColumns",
    "Consume",
    "Observer",
    "Outcome",
    "choose_columns",
    "consume_table",
    "numbered_batches",
    "read",
    "read_unit",
    "top_units",
]
