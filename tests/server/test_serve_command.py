"""`vidrec serve`: flags, settings from the environment, clear errors for bad settings."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from vidrec.cli import app
from vidrec.errors import ConfigError
from vidrec.server.settings import ServerSettings


def test_serve_is_a_vidrec_command_with_its_flags():
    out = CliRunner().invoke(app, ["serve", "--help"])
    assert out.exit_code == 0
    for flag in ("--host", "--port", "--store", "--cors-origin", "--ingest-root", "--log-format"):
        assert flag in out.output
    assert "VIDREC_ADMIN_KEY" in out.output and "VIDREC_API_KEYS" in out.output
    for limit in ("VIDREC_RATE_LIMIT", "VIDREC_MAX_SESSIONS", "VIDREC_SESSION_TTL"):
        assert limit in out.output


def test_bad_settings_say_what_to_do(tmp_path):
    with pytest.raises(ConfigError, match="VIDREC_MAX_BODY_BYTES"):
        ServerSettings.from_env(tmp_path, env={"VIDREC_MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigError, match="out of range"):
        ServerSettings.from_env(tmp_path, env={"VIDREC_MAX_BODY_BYTES": "10"})
    with pytest.raises(ConfigError, match="VIDREC_QUERY_CACHE"):
        ServerSettings.from_env(tmp_path, env={"VIDREC_QUERY_CACHE": "many"})
    with pytest.raises(ConfigError, match="secrets.token_urlsafe"):
        ServerSettings.from_env(tmp_path, env={"VIDREC_API_KEYS": "short"})


def test_settings_from_the_environment_and_flags(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    s = ServerSettings.from_env(None, env={"VIDREC_HOME": str(tmp_path / "st"), "VIDREC_INGEST_ROOTS":
                                           f"{tmp_path}/a:{tmp_path}/b", "VIDREC_QUERY_CACHE": "0"})
    assert s.store == tmp_path / "st" and s.ingest_roots == (tmp_path / "a", tmp_path / "b")
    assert s.query_cache_size == 0 and not s.shopper_keys_required and s.admin_key is None
    flagged = ServerSettings.from_env(tmp_path / "other", env={"VIDREC_CORS_ORIGINS": "https://a.example"},
                                      cors_origins=("https://b.example",))
    assert flagged.store == tmp_path / "other" and flagged.cors_origins == ("https://b.example",)
    assert ServerSettings.from_env(tmp_path, env={}).ingest_roots == (tmp_path.resolve(),)  # default: cwd


def test_bad_log_format_is_refused(tmp_path):
    out = CliRunner().invoke(app, ["serve", "--store", str(tmp_path), "--log-format", "xml"])
    assert out.exit_code != 0 and isinstance(out.exception, ConfigError)
