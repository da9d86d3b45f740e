"""scripts/serve.py: which Host names the server accepts (server.allowedHosts, DNS rebinding)."""
import ast
import os
import socket
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _serve_functions() -> dict:
    """The two host functions of scripts/serve.py, without starting a server."""
    tree = ast.parse((ROOT / "scripts" / "serve.py").read_text())
    ns = {"os": os, "sys": sys, "ROOT": ROOT}
    wanted = [n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name in ("_local_addresses", "_allow_local_addresses")]
    exec(compile(ast.Module(wanted, []), "serve.py", "exec"), ns)
    return ns


def test_the_machines_own_names_and_addresses_are_allowed_besides_the_configs(monkeypatch):
    monkeypatch.delenv("STREAMLIT_SERVER_ALLOWED_HOSTS", raising=False)
    monkeypatch.setattr(sys, "argv", ["serve.py"])
    _serve_functions()["_allow_local_addresses"]()
    hosts = os.environ["STREAMLIT_SERVER_ALLOWED_HOSTS"].split()
    assert hosts[:3] == ["localhost", "127.0.0.1", "::1"]  # the config file's list first
    assert socket.gethostname() in hosts and "127.0.0.1" in hosts
    assert "*" not in hosts and not any(h.endswith(".example") for h in hosts)


def test_hosts_given_by_the_operator_win(monkeypatch):
    monkeypatch.setenv("STREAMLIT_SERVER_ALLOWED_HOSTS", "talk.example.org")
    _serve_functions()["_allow_local_addresses"]()
    assert os.environ["STREAMLIT_SERVER_ALLOWED_HOSTS"] == "talk.example.org"
    monkeypatch.delenv("STREAMLIT_SERVER_ALLOWED_HOSTS")
    monkeypatch.setattr(sys, "argv", ["serve.py", "--server.allowedHosts", "talk.example.org"])
    _serve_functions()["_allow_local_addresses"]()
    assert "STREAMLIT_SERVER_ALLOWED_HOSTS" not in os.environ
