"""Turning rows into checks with natural keys.

A check's key is built from its row's content as written in the file (the
date or time text, not the parsed instant, so the time zone option does not
change it), not from where the row is: importing the same data again, from
the same file or a renamed one, produces the same keys. Identical rows are
told apart by how many times the same content has appeared before in the
file.
"""
import hashlib
from collections import Counter

from history_import.rows import MAX_LINES, PendingCheck, RowError


class CheckGrouper:
    """Collect rows into checks: each row alone, or adjacent rows sharing a check_ref.

    A check is imported whole or not at all: when one row of a check_id is
    malformed, `reject` drops the rows collected for it, and later rows with
    the same check_id are rejected too.
    """

    def __init__(self, source):
        self.source = source
        self.occurrences = Counter()
        self.current = None
        self.current_ref = None
        self.rejected_ref = None

    def add(self, row):
        """Add a row; return the checks completed by it (zero or one), or raise RowError."""
        if row.check_ref is not None and row.check_ref == self.rejected_ref:
            raise self.error(f"check_id {row.check_ref!r} has a malformed line, so the whole check is skipped",
                             row.check_ref)
        if row.check_ref is not None and self.current is not None and self.current_ref == row.check_ref:
            first = self.current.rows[0]
            if (row.user_key, row.time_text) != (first.user_key, first.time_text):
                raise self.error(f"check_id {row.check_ref!r} repeats with another user or time "
                                 f"than on line {first.line_no}", row.check_ref)
            if len(self.current.rows) == MAX_LINES:
                raise self.error(f"check_id {row.check_ref!r} has more than {MAX_LINES} lines", row.check_ref)
            self.current.rows.append(row)
            return []

        completed = self.flush()
        self.rejected_ref = None
        self.current = PendingCheck(self.key_for(row), [row])
        self.current_ref = row.check_ref
        return completed

    def reject(self, check_ref):
        """Drop the check being collected for `check_ref`; return its rows, to report them."""
        self.rejected_ref = check_ref
        if self.current is None or self.current_ref != check_ref:
            return []
        dropped = self.current.rows
        self.current = None
        return dropped

    def flush(self):
        """Return the check in progress, if any, as a one-item list."""
        completed = [self.current] if self.current is not None else []
        self.current = None
        return completed

    @staticmethod
    def error(message, check_ref):
        error = RowError(message)
        error.check_ref = check_ref
        return error

    def key_for(self, row):
        if row.check_ref is not None:
            content = f"check:{row.check_ref}"
        else:
            content = "|".join([
                row.user_key, row.time_text, row.product_name,
                str(row.quantity), row.unit_price or "", row.amount or "",
            ])
        self.occurrences[content] += 1
        digest = hashlib.sha256(f"{content}#{self.occurrences[content]}".encode("utf-8")).hexdigest()
        return f"{self.source}:{digest[:40]}"
