"""Helpers for connection URIs."""
from urllib.parse import urlsplit, urlunsplit


def redact_uri(uri):
    """Return `uri` with its password replaced by `***`, for logs and messages."""
    parts = urlsplit(uri)
    if parts.password is None:
        return uri
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))
