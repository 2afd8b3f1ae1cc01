import httpx
import pytest

from tests.e2e.stack import Stack


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def stack(request, tmp_path_factory):
    """A running stack for the tests of one module, once per database backend."""
    stack = Stack(request.param, tmp_path_factory.mktemp(f"stack-{request.param}"))
    try:
        stack.start()
        yield stack
    finally:
        stack.stop()


@pytest.fixture
def http(stack):
    with httpx.Client(base_url=stack.base_url, timeout=10) as client:
        yield client
