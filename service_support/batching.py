"""Splitting long lists for bulk SQL statements."""

# Items per `IN (...)` query, well below SQLite's limit on bound parameters.
QUERY_CHUNK = 500


def chunks(items, size=QUERY_CHUNK):
    """Yield consecutive slices of `items` of at most `size` elements."""
    items = list(items)
    for start in range(0, len(items), size):
        yield items[start:start + size]
