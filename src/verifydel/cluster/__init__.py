"""``scan --cluster``: a scan spread over a Dask distributed cluster, with the report a local
scan writes.

- ``units``: the sources as work units (files, database tables, parts of large files);
- ``worker``: the pack loaded once per worker process (a WorkerPlugin) and the task that
  reads one unit through the one reading pipeline (``pipeline.read_unit``);
- ``client``: where to run, the key's transport rule, gathering and merging.

Nothing here is imported by a local scan: Dask is needed only with ``--cluster``
(``pip install 'verifydel[cluster]'``).
"""
