"""The served configuration (.streamlit/config.toml): values Streamlit 1.67 accepts, and what they do."""
from __future__ import annotations

import tomllib
from pathlib import Path

from streamlit import config
from streamlit.testing.v1 import AppTest

CONFIG = tomllib.loads((Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text())


def test_error_details_are_a_value_streamlit_knows_and_hide_messages_and_traces():
    value = CONFIG["client"]["showErrorDetails"]
    assert value in {option.value for option in config.ShowErrorDetailsConfigOptions}
    assert value in ("type", "none")  # "full" and "stacktrace" print the trace, with server paths


def _failing_page():
    raise FileNotFoundError("/srv/secret/app/checkpoints/model.pt is missing")


def test_an_uncaught_error_shows_no_server_path_under_the_served_configuration():
    before = config.get_option("client.showErrorDetails")
    config.set_option("client.showErrorDetails", CONFIG["client"]["showErrorDetails"])
    try:
        at = AppTest.from_function(_failing_page).run()
    finally:
        config.set_option("client.showErrorDetails", before)
    assert at.exception  # the error is still reported, as an error box
    shown = at.exception[0].proto
    assert "/srv/secret" not in shown.message and not list(shown.stack_trace)
    assert "/srv" not in str(shown)


def test_allowed_hosts_name_the_local_host_and_streamlit_accepts_them():
    hosts = CONFIG["server"]["allowedHosts"]
    assert {"localhost", "127.0.0.1"} <= set(hosts) and "*" not in hosts
    from streamlit.web.server.starlette.starlette_websocket import _is_origin_allowed

    before = config.get_option("server.allowedHosts")
    config.set_option("server.allowedHosts", hosts)
    try:
        assert _is_origin_allowed("http://localhost:8501", "localhost:8501")
        assert _is_origin_allowed("http://127.0.0.1:8501", "127.0.0.1:8501")
        assert not _is_origin_allowed("http://rebound.example:8501", "rebound.example:8501")  # DNS rebinding
    finally:
        config.set_option("server.allowedHosts", before)
