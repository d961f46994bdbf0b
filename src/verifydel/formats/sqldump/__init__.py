"""SQL dumps: mysqldump, pg_dump plain text, and pg_dump archives (custom, directory, tar)."""
