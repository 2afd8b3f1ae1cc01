"""Run .ci/run with stand-in commands first on PATH.

The stand-ins for rabbitmqctl, rabbitmq-server, pg_isready, pg_ctlcluster,
sleep and make record each call in a log and never touch the real servers.
A stand-in server is down until its start command runs, and comes up after a
given number of further failed checks.
"""
import subprocess
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
CI_RUN = REPO_ROOT / ".ci" / "run"

# A server is up when its state file contains 0. A start command writes the
# number of checks that fail before the server comes up, and writes nothing
# when a test keeps the server down.
STATUS_CHECK = """#!/usr/bin/env bash
echo "{name} $*" >> "$STUB_LOG"
state="$STUB_STATE/{server}"
[[ -f $state ]] || exit 1
remaining=$(cat "$state")
if (( remaining == 0 )); then exit 0; fi
echo $(( remaining - 1 )) > "$state"
exit 1
"""

START_COMMAND = """#!/usr/bin/env bash
echo "{name} $*" >> "$STUB_LOG"
if [[ -f "$STUB_STATE/{server}-checks-before-up" ]]; then
    cp "$STUB_STATE/{server}-checks-before-up" "$STUB_STATE/{server}"
fi
"""

RECORD_ONLY = """#!/usr/bin/env bash
echo "{name} $*" >> "$STUB_LOG"
"""

MAKE = """#!/usr/bin/env bash
echo "make $* in $PWD" >> "$STUB_LOG"
"""


def write_stubs(directory):
    stubs = {
        "rabbitmqctl": STATUS_CHECK.format(name="rabbitmqctl", server="rabbitmq"),
        "rabbitmq-server": START_COMMAND.format(name="rabbitmq-server", server="rabbitmq"),
        "pg_isready": STATUS_CHECK.format(name="pg_isready", server="postgresql"),
        "pg_ctlcluster": START_COMMAND.format(name="pg_ctlcluster", server="postgresql"),
        "sleep": RECORD_ONLY.format(name="sleep"),
        "make": MAKE,
    }
    for name, text in stubs.items():
        path = directory / name
        path.write_text(text)
        path.chmod(0o755)


def run_ci(tmp_path, rabbitmq=None, postgresql=None):
    """Run .ci/run from tmp_path and return (exit code, stderr, logged calls).

    `rabbitmq` and `postgresql` are "up", or the number of checks a server
    fails after its start command runs, or None for a server that never
    comes up.
    """
    stub_dir = tmp_path / "bin"
    state_dir = tmp_path / "state"
    stub_dir.mkdir()
    state_dir.mkdir()
    write_stubs(stub_dir)
    for server, behaviour in [("rabbitmq", rabbitmq), ("postgresql", postgresql)]:
        if behaviour == "up":
            (state_dir / server).write_text("0")
        elif behaviour is not None:
            (state_dir / f"{server}-checks-before-up").write_text(str(behaviour))

    log = tmp_path / "calls.log"
    log.touch()
    environment = {
        "PATH": f"{stub_dir}:/usr/bin:/bin",
        "CI": "true",
        "STUB_LOG": str(log),
        "STUB_STATE": str(state_dir),
    }
    result = subprocess.run(
        ["bash", str(CI_RUN)],
        cwd=tmp_path,
        env=environment,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stderr, log.read_text().splitlines()


def latest_postgresql_version():
    versions = [path.name for path in Path("/etc/postgresql").iterdir()]
    return sorted(versions, key=lambda version: [int(part) for part in version.split(".")])[-1]


def test_ci_run_is_executable_bash_script():
    first_line = CI_RUN.read_text(encoding="utf-8").splitlines()[0]

    assert first_line == "#!/usr/bin/env bash"
    assert CI_RUN.stat().st_mode & 0o111 == 0o111


def test_ci_run_leaves_running_servers_alone(tmp_path):
    returncode, stderr, calls = run_ci(tmp_path, rabbitmq="up", postgresql="up")

    assert returncode == 0, stderr
    assert calls == [
        "rabbitmqctl status",
        "pg_isready -q -h 127.0.0.1 -p 5432",
        f"make test in {REPO_ROOT}",
    ]


def test_ci_run_starts_rabbitmq_when_down(tmp_path):
    returncode, stderr, calls = run_ci(tmp_path, rabbitmq=2, postgresql="up")

    assert returncode == 0, stderr
    assert calls == [
        "rabbitmqctl status",
        "rabbitmq-server -detached",
        "rabbitmqctl --timeout 10 await_startup",
        "sleep 1",
        "rabbitmqctl --timeout 10 await_startup",
        "sleep 1",
        "rabbitmqctl --timeout 10 await_startup",
        "pg_isready -q -h 127.0.0.1 -p 5432",
        f"make test in {REPO_ROOT}",
    ]


def test_ci_run_starts_postgresql_when_down(tmp_path):
    returncode, stderr, calls = run_ci(tmp_path, rabbitmq="up", postgresql=1)

    assert returncode == 0, stderr
    assert calls == [
        "rabbitmqctl status",
        "pg_isready -q -h 127.0.0.1 -p 5432",
        f"pg_ctlcluster --skip-systemctl-redirect {latest_postgresql_version()} main start",
        "pg_isready -q -h 127.0.0.1 -p 5432",
        "sleep 1",
        "pg_isready -q -h 127.0.0.1 -p 5432",
        f"make test in {REPO_ROOT}",
    ]


def test_ci_run_fails_when_server_never_starts(tmp_path):
    returncode, stderr, calls = run_ci(tmp_path, rabbitmq=None, postgresql="up")

    assert returncode == 1
    assert "RabbitMQ did not start after 60 checks" in stderr
    assert calls.count("rabbitmqctl --timeout 10 await_startup") == 60
    assert [call for call in calls if call.startswith("make")] == []
