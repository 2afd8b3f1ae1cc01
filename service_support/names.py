"""Keys that make names unique regardless of case and Unicode form."""
import unicodedata


def name_key(name):
    """Return the form of `name` compared for uniqueness.

    NFKC folds compatibility and composed forms ("é" written as one code
    point or as "e" plus an accent), then casefold() folds case.
    """
    return unicodedata.normalize("NFKC", name).casefold()
