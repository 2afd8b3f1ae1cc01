"""Tests of reading the gateway settings from environment variables."""

import re
from pathlib import Path

import pytest

from gateway import settings as settings_module
from gateway.settings import Settings, SettingsError, load_settings


SETTING_NAMES = (
    "AMQP_URI",
    "GATEWAY_HOST",
    "GATEWAY_PORT",
    "GATEWAY_WORKERS",
    "RPC_TIMEOUT",
    "GATEWAY_MAX_BODY_BYTES",
    "LOG_LEVEL",
)


@pytest.fixture
def clean_environment(monkeypatch):
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_settings_module_reads_each_variable_once():
    source = Path(settings_module.__file__).read_text()

    names = re.findall(r'os\.environ\.get\("([A-Z_]+)"', source)

    assert sorted(names) == sorted(SETTING_NAMES)


def test_load_settings_defaults(clean_environment):
    settings = load_settings()

    assert settings == Settings(
        amqp_uri="amqp://guest:guest@127.0.0.1:5672/",
        host="127.0.0.1",
        port=8000,
        workers=1,
        rpc_timeout=5.0,
        max_body_bytes=1048576,
        log_level="INFO",
    )


def test_load_settings_reads_environment(clean_environment):
    clean_environment.setenv("AMQP_URI", "amqp://user:secret@rabbitmq:5672/shop")
    clean_environment.setenv("GATEWAY_HOST", "0.0.0.0")
    clean_environment.setenv("GATEWAY_PORT", "9000")
    clean_environment.setenv("GATEWAY_WORKERS", "4")
    clean_environment.setenv("RPC_TIMEOUT", "2.5")
    clean_environment.setenv("GATEWAY_MAX_BODY_BYTES", "2048")
    clean_environment.setenv("LOG_LEVEL", "debug")

    settings = load_settings()

    assert settings == Settings(
        amqp_uri="amqp://user:secret@rabbitmq:5672/shop",
        host="0.0.0.0",
        port=9000,
        workers=4,
        rpc_timeout=2.5,
        max_body_bytes=2048,
        log_level="DEBUG",
    )


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("AMQP_URI", "http://127.0.0.1:5672/"),
        ("AMQP_URI", "not a uri"),
        ("GATEWAY_HOST", " "),
        ("GATEWAY_PORT", "eighty"),
        ("GATEWAY_PORT", "0"),
        ("GATEWAY_PORT", "65536"),
        ("GATEWAY_WORKERS", "0"),
        ("GATEWAY_WORKERS", "two"),
        ("RPC_TIMEOUT", "0"),
        ("RPC_TIMEOUT", "-1"),
        ("RPC_TIMEOUT", "nan"),
        ("RPC_TIMEOUT", "inf"),
        ("RPC_TIMEOUT", "5s"),
        ("GATEWAY_MAX_BODY_BYTES", "1MB"),
        ("GATEWAY_MAX_BODY_BYTES", "0"),
        ("LOG_LEVEL", "LOUD"),
    ],
)
def test_invalid_value_raises_error_naming_variable(clean_environment, name, value):
    clean_environment.setenv(name, value)

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert str(raised.value).startswith(f"{name} must be")


def test_invalid_amqp_uri_error_does_not_repeat_password(clean_environment):
    clean_environment.setenv("AMQP_URI", "http://user:secret@rabbitmq/")

    with pytest.raises(SettingsError) as raised:
        load_settings()

    assert "secret" not in str(raised.value)
