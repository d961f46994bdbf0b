"""The shared types every layer above uses, importing nothing above them.

- ``unit``: what a source yields (a path or byte stream with its label, kind hint and budget);
- ``table``: what a reader hands on (label, columns, numbered batches of text);
- ``limits``: the named limits on what hostile media may make verifydel read, and the budget
  one top-level source spends;
- ``options``: everything a command passes down to the reader (limits, password, encoding...);
- ``coverage``: how a source ended (scanned, partial, failed, interrupted) and why;
- ``stop``: the request to stop reading (SIGINT/SIGTERM), polled between units, members, batches;
- ``cells``, ``headers``, ``db_tables``, ``tempfiles``: byte-level helpers, one place each.

This package imports only ``verifydel.errors`` and ``verifydel.fields``
(``tests/test_layers.py`` keeps it so).
"""
