from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from gridgov import config, db
from gridgov.accounts.permissions import Role
from gridgov.cli import _reuse_port_listener, app
from gridgov.seed.territory import build_district
from tests.conftest import DEMO_PASSWORD, Databases
from tests.kit.test_pubsub import redis_url


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


def test_serve_with_several_processes_needs_redis(cli_env: dict[str, str]) -> None:
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    result = runner.invoke(app, ["serve", "--workers", "2"])
    assert result.exit_code == 2
    assert "GRIDGOV_REDIS_URL" in result.output


def test_serve_with_two_processes_takes_reports_in_both(cli_env: dict[str, str]) -> None:
    """`gridgov serve --workers 2`: two serving processes without the jobs, which run once in
    the supervisor; reports from concurrent clients all land, none twice."""
    runner = CliRunner()
    only = ["--only", "regions,organisations,accounts"]
    assert runner.invoke(app, ["seed", "--tier", "district", "--seed", "3", *only]).exit_code == 0
    assert runner.invoke(app, ["events", "init"]).exit_code == 0
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, **cli_env, "GRIDGOV_REDIS_URL": redis_url(), "GRIDGOV_JOBS": "inprocess"}
    command = [sys.executable, "-c", "from gridgov.cli import app; app()", "serve"]
    server = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port), "--workers", "2"],
        env=env,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        children = _serving_processes(server.pid, base, expected=2)
        for child in children:
            assert "GRIDGOV_JOBS=off" in _environment(child)
        assert "GRIDGOV_JOBS=inprocess" in _environment(server.pid)

        login = {"username": "operator", "password": DEMO_PASSWORD}
        token = httpx.post(f"{base}/api/v1/auth/login", json=login).json()["access_token"]
        grid = next(r for r in build_district(3).regions if r.level == "grid")
        spot = grid.polygon.representative_point()

        def report(client_no: int) -> list[int]:
            headers = {"Authorization": f"Bearer {token}"}
            with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
                return [
                    client.post(
                        "/api/v1/events",
                        json={
                            "title": f"并发上报 {client_no}-{n}",
                            "category_code": "0101",
                            "source": "grid_worker",
                            "location": {"lon": spot.x, "lat": spot.y},
                        },
                    ).json()["id"]
                    for n in range(5)
                ]

        with ThreadPoolExecutor(4) as pool:
            ids = [i for chunk in pool.map(report, range(4)) for i in chunk]
        assert len(set(ids)) == 20
        # Connections made together are spread over both processes (a socket each, on one
        # port): on one shared socket the first to wake took them all.
        held = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
        try:
            for connection in held:  # a request each, so each is surely accepted
                connection.sendall(b"GET /api/v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
                assert connection.recv(64).startswith(b"HTTP/1.1 200")
            clients = {connection.getsockname()[1] for connection in held}
            served_by = _serving_process_by_client_port(children, port, clients)
        finally:
            for connection in held:
                connection.close()
        assert set(served_by) == clients
        assert set(served_by.values()) == set(children), served_by
        listed = httpx.get(
            f"{base}/api/v1/events",
            params={"page_size": 50},
            headers={"Authorization": f"Bearer {token}"},
        ).json()
        assert sorted(e["id"] for e in listed["items"]) == sorted(ids)
    finally:
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)


def _serving_processes(supervisor: int, base: str, expected: int) -> list[int]:
    """The supervisor's serving processes, once the server answers and all have started."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        children = Path(f"/proc/{supervisor}/task/{supervisor}/children").read_text().split()
        serving = [int(c) for c in children if "spawn_main" in _command_line(int(c))]
        try:
            ready = httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200
        except httpx.TransportError:
            ready = False
        if ready and len(serving) == expected:
            return serving
        time.sleep(0.2)
    raise AssertionError(f"gridgov serve did not start {expected} processes")


def _serving_process_by_client_port(
    processes: list[int], server_port: int, client_ports: set[int]
) -> dict[int, int]:
    """Which process holds the server's end of each client connection (Linux /proc)."""
    client_of_socket = {}
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        remote_port = int(fields[2].rsplit(":", 1)[1], 16)
        if local_port == server_port and remote_port in client_ports:
            client_of_socket[f"socket:[{fields[9]}]"] = remote_port
    served_by = {}
    for process in processes:
        for fd in Path(f"/proc/{process}/fd").iterdir():
            try:
                target = os.readlink(fd)
            except OSError:  # closed meanwhile
                continue
            if target in client_of_socket:
                served_by[client_of_socket[target]] = process
    return served_by


def _command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def _environment(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/environ").read_bytes().decode().split("\0")


def test_process_listener_answers_without_nagle_delay() -> None:
    """The socket each process of `gridgov serve --workers` listens on: connections accepted
    on it get TCP_NODELAY from asyncio (a socket bound with protocol 0, as uvicorn binds, did
    not: uvicorn #3149), and a second process's socket may bind the same port."""
    listener = _reuse_port_listener("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    port = listener.getsockname()[1]
    _reuse_port_listener("127.0.0.1", port).close()

    async def accepted_nodelay() -> int:
        accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        server = await asyncio.start_server(on_connect, sock=listener)
        _reader, writer = await asyncio.open_connection(*listener.getsockname()[:2])
        value = await asyncio.wait_for(accepted, 10)
        writer.close()
        server.close()
        return value

    assert asyncio.run(accepted_nodelay()) == 1
