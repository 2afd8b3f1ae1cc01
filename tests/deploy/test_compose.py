"""Checks of docker-compose.yml, resolved by `docker-compose config`."""
import ast
from pathlib import Path
from urllib.parse import urlsplit

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]

INFRASTRUCTURE = ["rabbitmq", "postgres"]
SERVICES = ["users_service", "purchases_service", "analytics_service"]
DEPLOYABLES = SERVICES + ["gateway"]

# The package directories whose code runs in each of our containers, which is
# what its Dockerfile copies.
DEPLOYABLE_SOURCES = {
    "gateway": ["gateway"],
    "users_service": ["users_service", "service_support"],
    "purchases_service": ["purchases_service", "service_support"],
    "analytics_service": ["analytics_service", "service_support"],
}

# Each service's database URL variable, and the role and database that
# deploy/postgres/init.sh creates for it (both have the same name).
SERVICE_DATABASES = {
    "users_service": ("USERS_DATABASE_URL", "users"),
    "purchases_service": ("PURCHASES_DATABASE_URL", "purchases"),
    "analytics_service": ("ANALYTICS_DATABASE_URL", "analytics"),
}

EXPECTED_DEPENDENCIES = {
    "users_service": {"rabbitmq", "postgres"},
    "purchases_service": {"rabbitmq", "postgres"},
    "analytics_service": {"rabbitmq", "postgres"},
    "gateway": {"rabbitmq", "users_service", "purchases_service", "analytics_service"},
}


def find_environment_reads(source_directories):
    """Collect the names of the environment variables that the Python files
    under the directories read.

    A name counts when it is a string literal in os.environ.get("NAME", ...),
    os.environ["NAME"] or os.getenv("NAME", ...). It also counts as the first
    argument of a reader function from the same files, that is a function
    that reads the variable named by its first parameter, such as
    read_float("NAME", ...).
    """
    trees = [
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for directory in source_directories
        for path in sorted(Path(directory).rglob("*.py"))
    ]

    readers = set()
    for tree in trees:
        readers.update(_find_reader_functions(tree))

    names = set()
    for tree in trees:
        for node in ast.walk(tree):
            key = _environment_key(node, readers)
            if isinstance(key, ast.Constant) and isinstance(key.value, str):
                names.add(key.value)
    return names


def _find_reader_functions(tree):
    """Name the functions that read the variable named by their first parameter."""
    readers = set()
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.args.args:
            continue
        parameter = node.args.args[0].arg
        for inner in ast.walk(node):
            key = _environment_key(inner, set())
            if isinstance(key, ast.Name) and key.id == parameter:
                readers.add(node.name)
    return readers


def _environment_key(node, readers):
    """Return the expression that names the variable `node` reads, or None."""
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.ctx, ast.Load)
        and _is_os_environ(node.value)
    ):
        return node.slice
    if isinstance(node, ast.Call) and node.args:
        if _is_environment_getter(node.func) or _function_name(node.func) in readers:
            return node.args[0]
    return None


def _is_os_environ(node):
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "environ"
        and isinstance(node.value, ast.Name)
        and node.value.id == "os"
    )


def _is_environment_getter(function):
    if not isinstance(function, ast.Attribute):
        return False
    if function.attr == "get":
        return _is_os_environ(function.value)
    return (
        function.attr == "getenv"
        and isinstance(function.value, ast.Name)
        and function.value.id == "os"
    )


def _function_name(function):
    if isinstance(function, ast.Name):
        return function.id
    if isinstance(function, ast.Attribute):
        return function.attr
    return None


def test_environment_scan_matches_literal_forms(tmp_path):
    (tmp_path / "settings.py").write_text(
        "import os\n"
        "host = os.environ.get('GATEWAY_HOST', '127.0.0.1')\n"
        'uri = os.environ["AMQP_URI"]\n'
        'level = os.getenv( "LOG_LEVEL", "INFO")\n'
    )

    names = find_environment_reads([tmp_path])

    assert names == {"GATEWAY_HOST", "AMQP_URI", "LOG_LEVEL"}


def test_environment_scan_includes_subpackages(tmp_path):
    package = tmp_path / "service" / "storage"
    package.mkdir(parents=True)
    (package / "database.py").write_text('import os\nurl = os.environ.get("DATA_DIR")\n')

    names = find_environment_reads([tmp_path / "service"])

    assert names == {"DATA_DIR"}


def test_environment_scan_skips_non_python_files(tmp_path):
    (tmp_path / "README.md").write_text('Set it with os.environ.get("DOCUMENTED_ONLY").\n')

    names = find_environment_reads([tmp_path])

    assert names == set()


def test_environment_scan_follows_reader_functions(tmp_path):
    (tmp_path / "settings.py").write_text(
        "import os\n"
        "def read_float(name, default):\n"
        "    return float(os.environ.get(name, default))\n"
    )
    (tmp_path / "service.py").write_text(
        "from settings import read_float\n"
        'timeout = read_float("RPC_TIMEOUT", "5")\n'
    )

    names = find_environment_reads([tmp_path])

    assert names == {"RPC_TIMEOUT"}


def test_environment_scan_skips_computed_names(tmp_path):
    (tmp_path / "settings.py").write_text(
        "import os\n"
        "prefix = 'USERS'\n"
        "url = os.environ.get(prefix + '_DATABASE_URL')\n"
        "os.environ['SET_NOT_READ'] = '1'\n"
    )

    names = find_environment_reads([tmp_path])

    assert names == set()


def test_environment_scan_merges_directories(tmp_path):
    for package, name in [("gateway", "GATEWAY_PORT"), ("service_support", "MAX_WORKERS")]:
        (tmp_path / package).mkdir()
        (tmp_path / package / "settings.py").write_text(f'import os\nos.getenv("{name}")\n')

    names = find_environment_reads([tmp_path / "gateway", tmp_path / "service_support"])

    assert names == {"GATEWAY_PORT", "MAX_WORKERS"}


def test_compose_defines_expected_containers(compose_config):
    assert sorted(compose_config["services"]) == sorted(INFRASTRUCTURE + DEPLOYABLES)


@pytest.mark.parametrize("name", INFRASTRUCTURE + DEPLOYABLES)
def test_container_has_healthcheck(compose_config, name):
    healthcheck = compose_config["services"][name].get("healthcheck", {})

    assert healthcheck.get("disable", False) is False
    assert healthcheck.get("test", ["NONE"])[0] == "CMD"


@pytest.mark.parametrize("name", SERVICES)
def test_service_healthcheck_calls_health_rpc(compose_config, name):
    command = compose_config["services"][name]["healthcheck"]["test"]

    assert command == ["CMD", "python", "-m", "service_support.healthcheck", name]


def test_gateway_healthcheck_requests_products(compose_config):
    command = compose_config["services"]["gateway"]["healthcheck"]["test"]
    code = command[3]

    assert command[:3] == ["CMD", "python", "-c"]
    assert "'http://127.0.0.1:8000/data/products'" in code
    compile(code, "gateway healthcheck", "exec")


def test_rabbitmq_healthcheck_pings_node(compose_config):
    command = compose_config["services"]["rabbitmq"]["healthcheck"]["test"]

    assert command == ["CMD", "rabbitmq-diagnostics", "-q", "ping"]


def test_postgres_healthcheck_uses_tcp(compose_config):
    command = compose_config["services"]["postgres"]["healthcheck"]["test"]

    assert command[:2] == ["CMD", "pg_isready"]
    assert command[command.index("-h") + 1] == "127.0.0.1"


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_container_waits_for_healthy_dependencies(compose_config, name):
    depends_on = compose_config["services"][name]["depends_on"]
    conditions = {dependency: options["condition"] for dependency, options in depends_on.items()}

    assert set(conditions) == EXPECTED_DEPENDENCIES[name]
    assert set(conditions.values()) == {"service_healthy"}


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_container_built_from_repository_root(compose_config, name):
    build = compose_config["services"][name]["build"]

    assert Path(build["context"]) == REPO_ROOT
    assert build["dockerfile"] == f"{name}/Dockerfile"


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_container_sets_only_read_variables(compose_config, name):
    source_directories = [REPO_ROOT / package for package in DEPLOYABLE_SOURCES[name]]
    missing_directories = [str(path) for path in source_directories if not path.is_dir()]
    environment = compose_config["services"][name].get("environment", {})

    assert missing_directories == []
    unread = set(environment) - find_environment_reads(source_directories)
    assert unread == set()


@pytest.mark.parametrize("name", DEPLOYABLES)
def test_container_amqp_uri_points_at_rabbitmq(compose_config, name):
    amqp_uri = urlsplit(compose_config["services"][name]["environment"]["AMQP_URI"])
    rabbitmq_environment = compose_config["services"]["rabbitmq"]["environment"]

    assert amqp_uri.hostname == "rabbitmq"
    assert amqp_uri.username == rabbitmq_environment["RABBITMQ_DEFAULT_USER"]
    assert amqp_uri.password == rabbitmq_environment["RABBITMQ_DEFAULT_PASS"]


@pytest.mark.parametrize("name", SERVICES)
def test_database_url_uses_own_role(compose_config, name):
    variable, database = SERVICE_DATABASES[name]
    url = urlsplit(compose_config["services"][name]["environment"][variable])

    assert url.scheme == "postgresql"
    assert url.hostname == "postgres"
    assert url.port == 5432
    assert url.username == database
    assert url.path == f"/{database}"


@pytest.mark.parametrize("name", SERVICES)
def test_database_password_matches_init_input(compose_config, name):
    variable, database = SERVICE_DATABASES[name]
    url = urlsplit(compose_config["services"][name]["environment"][variable])
    postgres_environment = compose_config["services"]["postgres"]["environment"]

    assert url.password == postgres_environment[f"{database.upper()}_DB_PASSWORD"]


def test_database_password_overridable_from_host(resolve_compose_config):
    config = resolve_compose_config(USERS_DB_PASSWORD="from-host")
    url = urlsplit(config["services"]["users_service"]["environment"]["USERS_DATABASE_URL"])
    postgres_environment = config["services"]["postgres"]["environment"]

    assert url.password == "from-host"
    assert postgres_environment["USERS_DB_PASSWORD"] == "from-host"


def test_postgres_runs_init_scripts_from_deploy(compose_config):
    volumes = compose_config["services"]["postgres"]["volumes"]

    assert f"{REPO_ROOT}/deploy/postgres:/docker-entrypoint-initdb.d:ro" in volumes


def test_postgres_keeps_data_in_named_volume(compose_config):
    volumes = compose_config["services"]["postgres"]["volumes"]

    assert "postgres-data:/var/lib/postgresql/data:rw" in volumes
    assert "postgres-data" in compose_config["volumes"]


def test_gateway_published_on_host_port_8000(compose_config):
    gateway = compose_config["services"]["gateway"]

    assert gateway["ports"] == ["127.0.0.1:8000:8000/tcp"]
    assert gateway["environment"]["GATEWAY_HOST"] == "0.0.0.0"
    assert gateway["environment"]["GATEWAY_PORT"] == "8000"


def test_business_timezone_defaults_to_utc(compose_config):
    environment = compose_config["services"]["analytics_service"]["environment"]

    assert environment["BUSINESS_TIMEZONE"] == "UTC"


def test_business_timezone_taken_from_host(resolve_compose_config):
    config = resolve_compose_config(BUSINESS_TIMEZONE="Europe/Moscow")
    environment = config["services"]["analytics_service"]["environment"]

    assert environment["BUSINESS_TIMEZONE"] == "Europe/Moscow"
