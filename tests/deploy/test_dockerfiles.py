"""Checks of the four Dockerfiles and .dockerignore, read as text.

No Docker engine is needed, so nothing here builds an image.
"""
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

# The package directories each image copies and runs.
DEPLOYABLE_SOURCES = {
    "gateway": ["gateway"],
    "users_service": ["service_support", "users_service"],
    "purchases_service": ["purchases_service", "service_support"],
    "analytics_service": ["analytics_service", "service_support"],
}
DEPLOYABLES = sorted(DEPLOYABLE_SOURCES)


def read_instructions(dockerfile):
    """Parse a Dockerfile into (INSTRUCTION, arguments) pairs.

    Comment lines are skipped and lines ending in a backslash are joined with
    the next, as Docker does. Parser directives and heredocs are not handled.
    """
    instructions = []
    pending = ""
    for line in dockerfile.read_text(encoding="utf-8").splitlines():
        stripped = line.strip()
        if stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue

        text = (pending + stripped).strip()
        pending = ""
        if text:
            keyword, _, arguments = text.partition(" ")
            instructions.append((keyword.upper(), arguments.strip()))
    return instructions


def arguments_of(instructions, keyword):
    return [arguments for name, arguments in instructions if name == keyword]


def test_read_instructions_joins_continuation_lines(tmp_path):
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text(
        "# syntax comment\n"
        "FROM python:3.11-slim\n"
        "RUN pip install \\\n"
        "    # a comment inside the command\n"
        "    --no-cache-dir x\n"
        "\n"
        'cmd ["python"]\n'
    )

    instructions = read_instructions(dockerfile)

    assert instructions == [
        ("FROM", "python:3.11-slim"),
        ("RUN", "pip install  --no-cache-dir x"),
        ("CMD", '["python"]'),
    ]


@pytest.fixture(params=DEPLOYABLES)
def deployable(request):
    return request.param


@pytest.fixture
def instructions(deployable):
    return read_instructions(REPO_ROOT / deployable / "Dockerfile")


def test_dockerfile_starts_from_python_slim(instructions):
    assert arguments_of(instructions, "FROM") == ["python:3.11-slim"]


def test_dockerfile_installs_requirements_without_pip_cache(instructions):
    commands = arguments_of(instructions, "RUN")
    installs = [command for command in commands if "pip install" in command]

    assert len(installs) == 1
    assert "--no-cache-dir" in installs[0]
    assert "-r /tmp/requirements.txt" in installs[0]


def test_dockerfile_copies_only_its_packages(instructions, deployable):
    copied = []
    for arguments in arguments_of(instructions, "COPY"):
        *sources, _destination = [part for part in arguments.split() if not part.startswith("--")]
        copied.extend(source.rstrip("/") for source in sources)

    assert sorted(copied) == sorted(["requirements.txt"] + DEPLOYABLE_SOURCES[deployable])


def test_dockerfile_runs_as_non_root_user(instructions):
    users = arguments_of(instructions, "USER")

    assert users != []
    assert users[-1].split(":")[0] not in ("root", "0")


def test_dockerfile_cmd_runs_package(instructions, deployable):
    commands = arguments_of(instructions, "CMD")

    assert len(commands) == 1
    assert json.loads(commands[0]) == ["python", "-m", deployable]


@pytest.mark.parametrize("service", [name for name in DEPLOYABLES if name != "gateway"])
def test_service_dockerfile_sets_data_dir(service):
    instructions = read_instructions(REPO_ROOT / service / "Dockerfile")

    assert f"DATA_DIR=/var/lib/{service}" in arguments_of(instructions, "ENV")


def test_gateway_dockerfile_listens_on_all_interfaces():
    instructions = read_instructions(REPO_ROOT / "gateway" / "Dockerfile")

    assert "GATEWAY_HOST=0.0.0.0" in arguments_of(instructions, "ENV")
    assert arguments_of(instructions, "EXPOSE") == ["8000"]


@pytest.mark.parametrize(
    "pattern", [".git", ".venv", "var", "tests", "**/__pycache__", ".pytest_cache"]
)
def test_dockerignore_excludes(pattern):
    patterns = (REPO_ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()

    assert pattern in patterns
