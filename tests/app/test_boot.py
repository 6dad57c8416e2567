"""Boot options: defaults in one place, the environment's choices, config keys winning."""

from __future__ import annotations

import pytest

from minimost.boot import BootOptions, read_boot_options
from minimost.runtime import get_runtime
from tests.conftest import AppFactory, sign_up
from tests.helpers.sockets import hello, socket


def test_defaults_without_environment_or_config() -> None:
    options = read_boot_options({}, environ={})
    assert options == BootOptions()
    assert options.tls
    assert options.housekeeping
    assert not options.check_answers
    assert options.serving_host is None
    assert options.ws_heartbeat_seconds == 25.0
    assert options.ws_queue_size == 512


def test_environment_switches_tls_and_housekeeping_off_and_answer_checks_on() -> None:
    environ = {
        "MINIMOST_SKIP_TLS": "1",
        "MINIMOST_SKIP_CLEANUP": "1",
        "MINIMOST_CHECK_ANSWERS": "1",
    }
    options = read_boot_options({}, environ=environ)
    assert (options.tls, options.housekeeping, options.check_answers) == (False, False, True)


def test_config_keys_win_over_the_environment_and_the_tls_argument() -> None:
    options = read_boot_options(
        {"TLS": True, "HOUSEKEEPING": True, "WS_QUEUE_SIZE": "16", "SERVING_HOST": "::1"},
        tls=False,
        environ={"MINIMOST_SKIP_TLS": "1", "MINIMOST_SKIP_CLEANUP": "1"},
    )
    assert options.tls
    assert options.housekeeping
    assert options.ws_queue_size == 16
    assert options.serving_host == "::1"
    assert read_boot_options({}, tls=False, environ={}).tls is False


def test_other_config_keys_are_left_to_quart() -> None:
    assert read_boot_options({"SECRET_KEY": "x" * 64}, environ={}) == BootOptions()


@pytest.mark.parametrize("seconds", [0.5, 7])
async def test_the_hello_frame_tells_the_configured_heartbeat(
    make_app: AppFactory, seconds: float
) -> None:
    app = make_app(config={"WS_HEARTBEAT_SECONDS": seconds})
    assert get_runtime(app).boot.ws_heartbeat_seconds == seconds
    async with app.test_app():
        alice = await sign_up(app, "alice")
        async with socket(alice) as ws:
            greeting = await hello(ws)
    assert greeting["heartbeat_seconds"] == seconds
