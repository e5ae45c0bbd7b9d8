"""Every test gets its own user config dir (``INFRA_TUI_CONFIG_DIR``) and cache dir
(``INFRA_TUI_CACHE_DIR``): the trust records, the user-level ``config.yaml`` and the kept graphs
of the machine are never read nor written by a test."""

from __future__ import annotations

import pytest

# the real sshd on 127.0.0.1 (fixtures ``sshd`` and ``sshd_server``), for every test folder
pytest_plugins = ["tests.sshd"]


@pytest.fixture(autouse=True)
def user_config_dir(tmp_path_factory, monkeypatch):
    path = tmp_path_factory.mktemp("user-config")
    monkeypatch.setenv("INFRA_TUI_CONFIG_DIR", str(path))
    # and its own cache folder: the graphs kept for the next start (core.graph_cache)
    monkeypatch.setenv("INFRA_TUI_CACHE_DIR", str(tmp_path_factory.mktemp("user-cache")))
    return path
