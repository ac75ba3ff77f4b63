"""Docs that tests keep true."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient
from typer.models import CommandInfo

from gridgov.cli import app
from gridgov.config import settings_table

ROOT = Path(__file__).resolve().parents[1]


def test_readme_configuration_table_is_current() -> None:
    assert settings_table() in (ROOT / "README.md").read_text()


def test_readme_names_every_cli_command() -> None:
    readme = (ROOT / "README.md").read_text()

    def command_names(commands: list[CommandInfo]) -> set[str]:
        return {c.name or c.callback.__name__.replace("_", "-") for c in commands if c.callback}

    names = command_names(app.registered_commands)
    for group in app.registered_groups:
        assert group.typer_instance is not None
        names |= {
            f"{group.name} {n}" for n in command_names(group.typer_instance.registered_commands)
        }
    missing = [name for name in sorted(names) if f"gridgov {name}" not in readme]
    assert missing == []


def test_readme_commands_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    for script in re.findall(r"`(bin/\w+)", readme):
        assert (ROOT / script).exists(), script
    assert (ROOT / ".ci" / "run").read_text().count("bin/test") >= 1


def test_architecture_names_every_feature_package() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    packages = [
        p.name
        for p in (ROOT / "src" / "gridgov").iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("migrations",)
    ]
    missing = [name for name in packages if f"{name}/" not in text]
    assert missing == []


def test_api_docs_page_loads_nothing_from_outside(client: TestClient) -> None:
    html = client.get("/docs").text
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert assets, "the docs page should load Swagger UI"
    assert all(asset.startswith("/") and not asset.startswith("//") for asset in assets), assets
    for asset in assets:
        if asset.startswith("/static/"):
            assert client.get(asset).status_code == 200, asset
    assert "cdn" not in html.lower()


def test_every_template_and_static_file_is_local() -> None:
    web = ROOT / "src" / "gridgov" / "web"
    own = [
        p
        for p in web.rglob("*")
        if p.suffix in (".html", ".css", ".js") and "vendor" not in p.parts
    ]
    assert own
    for path in own:
        text = path.read_text()
        assert "http://" not in text and "https://" not in text, path
