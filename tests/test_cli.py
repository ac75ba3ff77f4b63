from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gridgov import config, db
from gridgov.accounts.permissions import Role
from gridgov.cli import app
from tests.conftest import DEMO_PASSWORD, Databases


@pytest.fixture
def cli_env(
    databases: Databases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    env = {
        "GRIDGOV_DATABASE_URL": databases.new_url(),
        "GRIDGOV_VAR_DIR": str(tmp_path),
        "GRIDGOV_DEMO_PASSWORD": DEMO_PASSWORD,
    }
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    config.get_settings.cache_clear()
    yield env
    config.get_settings.cache_clear()
    for engine in db._engines.values():
        engine.dispose()
    db._engines.clear()


def test_seed_then_users_list_json(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    # networks adds the social-organisation and enterprise accounts.
    only = ["--only", "regions,organisations,accounts,networks"]
    seeded = runner.invoke(app, ["seed", "--tier", "district", "--seed", "7", *only])
    assert seeded.exit_code == 0, seeded.output
    listed = runner.invoke(app, ["users", "list", "--json"])
    assert listed.exit_code == 0, listed.output
    users = json.loads(listed.stdout)
    assert {u["role"] for u in users} == {r.value for r in Role}
    by_name = {u["username"]: u for u in users}
    assert by_name["street_xuzhuang"]["scope"]["region_code"] == "370811002"
    assert by_name["comm_370811002001"]["scope"]["region_code"] == "370811002001"
    assert by_name["dept_cg"]["scope"]["department_id"] is not None
    assert by_name["admin"]["scope"]["region_code"] is None
    workers = [u for u in users if u["role"] == "grid_worker"]
    assert len(workers) == 400 and all(w["scope"]["region_codes"] for w in workers)

    again = runner.invoke(app, ["seed", *only])
    assert again.exit_code == 1
    unknown = runner.invoke(app, ["seed", "--only", "regions,nonsense"])
    assert unknown.exit_code == 2 and "nonsense" in unknown.output
    reset = runner.invoke(app, ["seed", "--reset", "--seed", "8", *only])
    assert reset.exit_code == 0, reset.output


def test_users_create_for_a_real_deployment(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    created = runner.invoke(
        app,
        ["users", "create", "--username", "chief", "--role", "admin", "--display-name", "主任"],
        input="long-enough-pass\nlong-enough-pass\n",
    )
    assert created.exit_code == 0, created.output
    listed = json.loads(runner.invoke(app, ["users", "list", "--json"]).stdout)
    assert [u["username"] for u in listed] == ["chief"]
    refused = runner.invoke(
        app,
        ["users", "create", "--username", "x1x", "--role", "street_staff", "--display-name", "某"],
        input="long-enough-pass\nlong-enough-pass\n",
    )
    assert refused.exit_code == 1
    assert "scope_region_required" in refused.output


def test_serve_refuses_an_unmigrated_database(cli_env: dict[str, str]) -> None:
    result = CliRunner().invoke(app, ["serve"])
    assert result.exit_code == 1
    assert "gridgov db upgrade" in result.output
