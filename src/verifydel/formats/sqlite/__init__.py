"""SQLite: database files (live tables through SQLite, read-only), the rows deleted but still
on disk (a page walker), and the WAL, journal and WAL-index companions."""
