"""Fixtures that resolve docker-compose.yml the way Docker Compose does.

`docker-compose config` validates the file, fills in `${VAR:-default}`
placeholders and YAML anchors, and prints the result. It needs no Docker
engine, so these tests run on a machine without one.
"""
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = REPO_ROOT / "docker-compose.yml"

MISSING_DOCKER_COMPOSE = (
    "docker-compose is not installed, so docker-compose.yml cannot be validated. "
    "`make test` installs it; to run these tests alone, install the Debian "
    "package: apt-get install -y docker-compose"
)


def _resolve_compose_file(tmp_dir, host_environment):
    """Run `docker-compose config` and return the resolved file as a dict.

    The command gets only PATH and `host_environment` as its environment,
    and an empty env file in place of a developer's `.env`, so the tests
    check the defaults written in the file.
    """
    if shutil.which("docker-compose") is None:
        pytest.fail(MISSING_DOCKER_COMPOSE)

    empty_env_file = tmp_dir / "empty.env"
    empty_env_file.write_text("")
    environment = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), **host_environment}
    command = [
        "docker-compose",
        "--file", str(COMPOSE_FILE),
        "--project-directory", str(REPO_ROOT),
        "--env-file", str(empty_env_file),
        "config",
    ]
    result = subprocess.run(
        command, env=environment, capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"docker-compose config rejected {COMPOSE_FILE}:\n{result.stderr}")
    return yaml.safe_load(result.stdout)


@pytest.fixture(scope="session")
def compose_config(tmp_path_factory):
    """docker-compose.yml resolved with no variables set on the host."""
    return _resolve_compose_file(tmp_path_factory.mktemp("compose"), {})


@pytest.fixture
def resolve_compose_config(tmp_path):
    """Resolve docker-compose.yml with the given host environment variables."""

    def resolve(**host_environment):
        return _resolve_compose_file(tmp_path, host_environment)

    return resolve
