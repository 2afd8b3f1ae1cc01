"""Turning rows into checks with natural keys.

A check's key is built from its row's content, not from where the row is,
so importing the same data again, from the same file or a renamed one,
produces the same keys. Identical rows are told apart by how many times the
same content has appeared before in the file.
"""
import hashlib
from collections import Counter

from history_import.rows import PendingCheck, RowError


class CheckGrouper:
    """Collect rows into checks: each row alone, or adjacent rows sharing a check_ref."""

    def __init__(self, source):
        self.source = source
        self.occurrences = Counter()
        self.current = None

    def add(self, row):
        """Add a row; return the checks completed by it (zero or one), or raise RowError."""
        if row.check_ref is not None and self.current is not None and self.current_ref == row.check_ref:
            first = self.current.rows[0]
            if (row.user_key, row.recorded_at) != (first.user_key, first.recorded_at):
                raise RowError(f"check_id {row.check_ref!r} repeats with another user or time "
                               f"than on line {first.line_no}")
            self.current.rows.append(row)
            return []

        completed = self.flush()
        self.current = PendingCheck(self.key_for(row), [row])
        self.current_ref = row.check_ref
        return completed

    def flush(self):
        """Return the check in progress, if any, as a one-item list."""
        completed = [self.current] if self.current is not None else []
        self.current = None
        return completed

    def key_for(self, row):
        if row.check_ref is not None:
            content = f"check:{row.check_ref}"
        else:
            content = "|".join([
                row.user_key, row.recorded_at.isoformat(), row.product_name,
                str(row.quantity), row.unit_price or "", row.amount or "",
            ])
        self.occurrences[content] += 1
        digest = hashlib.sha256(f"{content}#{self.occurrences[content]}".encode("utf-8")).hexdigest()
        return f"{self.source}:{digest[:40]}"
