"""The one command-line entry point: ``gridgov``."""

from __future__ import annotations

import json
import socket
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
import uvicorn
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table
from uvicorn.supervisors import Multiprocess

from gridgov.accounts import services as accounts
from gridgov.accounts.actor import Actor
from gridgov.accounts.permissions import ROLE_LABELS, Role
from gridgov.accounts.schemas import UserCreate
from gridgov.config import Settings, get_settings
from gridgov.db import get_engine, session_factory, unit_of_work
from gridgov.kit.errors import AppError
from gridgov.seed.context import Tier
from gridgov.seed.runner import (
    GENERATOR_NAMES,
    AlreadySeeded,
    SeedReport,
    is_seeded,
    seed_database,
)

if TYPE_CHECKING:
    from sqlalchemy import Engine

app = typer.Typer(help="gridgov 社会治理多网融合智慧平台", no_args_is_help=True)
db_app = typer.Typer(help="数据库结构（Alembic 迁移）", no_args_is_help=True)
users_app = typer.Typer(help="账号", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(users_app, name="users")
registry_app = typer.Typer(help="基础数据导入导出", no_args_is_help=True)
app.add_typer(registry_app, name="registry")
events_app = typer.Typer(help="事件", no_args_is_help=True)
app.add_typer(events_app, name="events")
audit_app = typer.Typer(help="审计", no_args_is_help=True)
routing_app = typer.Typer(help="智能分拨（规则与文本模型）", no_args_is_help=True)
app.add_typer(routing_app, name="routing")
app.add_typer(audit_app, name="audit")
networks_app = typer.Typer(help="专业网格（多网融合）", no_args_is_help=True)
app.add_typer(networks_app, name="networks")
mediation_app = typer.Typer(help="矛盾纠纷调处", no_args_is_help=True)
app.add_typer(mediation_app, name="mediation")
analytics_app = typer.Typer(help="分析研判（统计汇总）", no_args_is_help=True)
app.add_typer(analytics_app, name="analytics")
alerts_app = typer.Typer(help="预警", no_args_is_help=True)
app.add_typer(alerts_app, name="alerts")
console = Console(stderr=True)

# How long a `gridgov serve --workers` process may take to start before it counts as hung.
WORKER_STARTUP_SECONDS = 60
# New cases per minute that `gridgov demo` simulates in the background.
DEMO_SIMULATE_RATE = 2.0
DEMO_LOGINS = (
    ("admin", "管理员"),
    ("leader", "领导"),
    ("operator", "社会治理中心坐席"),
    ("dept_cg", "区直部门（城管）"),
    ("street_xuzhuang", "镇街（许庄街道）"),
    ("comm_370811002001", "社区"),
    ("gw_370811002001001", "网格员"),
    ("citizen1", "公众"),
)


def progress_bar() -> Progress:
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=console,
    )


@app.command("config")
def show_config() -> None:
    """Print every setting (environment variable, default, meaning) as a Markdown table."""
    from gridgov.config import settings_table

    typer.echo(settings_table())


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the schema to the newest migration."""
    from gridgov import schema

    schema.upgrade(get_engine())
    console.print(f"schema at {schema.current_revision(get_engine())}")


@db_app.command("current")
def db_current() -> None:
    """Print the schema revision of the database."""
    from gridgov import schema

    typer.echo(schema.current_revision(get_engine()) or "(empty)")


def _run_seed(tier: Tier, seed: int, reset: bool, only: Sequence[str] | None = None) -> SeedReport:
    settings = get_settings()
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        return seed_database(
            get_engine(settings),
            settings,
            tier=tier,
            seed=seed,
            reset=reset,
            progress=progress,
            only=only,
        )


def _print_report(report: SeedReport) -> None:
    console.print(f"{report.tier.value} tier, seed {report.seed}: seeded in {report.seconds:.1f} s")
    table = Table()
    table.add_column("数据")
    table.add_column("数量", justify="right")
    for name, count in report.counts.items():
        if count:
            table.add_row(name, f"{count:,}")
    console.print(table)


@app.command()
def seed(
    tier: Annotated[Tier, typer.Option(help="district (seed district) or city")] = Tier.DISTRICT,
    seed: Annotated[int, typer.Option(help="random seed: the same seed gives the same data")] = 42,
    reset: Annotated[bool, typer.Option(help="drop every table first (destroys all data)")] = False,
    only: Annotated[
        str | None,
        typer.Option(help=f"comma-separated generators to run, of: {', '.join(GENERATOR_NAMES)}"),
    ] = None,
) -> None:
    """Build a demo district (or city): territory, organisations, accounts, base data."""
    chosen = [name.strip() for name in only.split(",")] if only else None
    unknown = sorted(set(chosen or ()) - set(GENERATOR_NAMES))
    if unknown:
        console.print(f"[red]未知的生成器：{', '.join(unknown)}[/red]")
        raise typer.Exit(code=2)
    try:
        report = _run_seed(tier, seed, reset, chosen)
    except AlreadySeeded as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    _print_report(report)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1, max=64, help="server processes (default GRIDGOV_SERVE_WORKERS, else 1)"
        ),
    ] = None,
) -> None:
    """Serve the web app and API (the schema must exist: `gridgov db upgrade`)."""
    from gridgov import schema
    from gridgov.app import create_app, tune_for_serving

    settings = get_settings()
    engine = get_engine(settings)
    if not schema.is_up_to_date(engine):
        console.print(
            "[red]数据库结构不是最新：请先运行 gridgov db upgrade（或 gridgov demo）[/red]"
        )
        raise typer.Exit(code=1)
    processes = workers or settings.serve_workers
    host, port = host or settings.host, port or settings.port
    if processes == 1:
        tune_for_serving()
        uvicorn.run(create_app(settings, engine), host=host, port=port)
        return
    if not settings.redis_url:
        # Each process would keep its own in-process channel: a screen served by one would
        # never hear of the cases another one takes in.
        console.print(
            "[red]多个服务进程之间经 Redis 转发实时消息：请设置 GRIDGOV_REDIS_URL，"
            "或去掉 --workers[/red]"
        )
        raise typer.Exit(code=2)
    _serve_processes(engine, settings, processes, host=host, port=port)


def _serve_processes(
    engine: Engine, settings: Settings, processes: int, *, host: str, port: int
) -> None:
    """uvicorn's supervisor starts ``processes`` fresh interpreters, each building the app
    from the environment; the background jobs run here, once, not in every one of them."""
    import os

    from gridgov.jobs import scheduler

    config = uvicorn.Config(
        "gridgov.app:serving_app",
        factory=True,
        workers=processes,
        # A new process imports the whole platform before it can answer uvicorn's health
        # check: 5 s, the default, restarted them in a loop on a busy 2-core machine.
        timeout_worker_healthcheck=WORKER_STARTUP_SECONDS,
        host=host,
        port=port,
    )
    jobs = scheduler(engine) if settings.jobs == "inprocess" else None
    os.environ["GRIDGOV_JOBS"] = "off"  # inherited by the serving processes
    if jobs is not None:
        jobs.start_thread()
    console.print(f"gridgov serve: {processes} 个服务进程" + ("，后台任务在本进程" if jobs else ""))
    # Binds once without SO_REUSEPORT: fails (as uvicorn does) when another program holds the
    # port, where the serving processes' own sockets would quietly share it with that program.
    config.bind_socket().close()
    try:
        _ListenerEach(config).run()
    finally:
        if jobs is not None:
            jobs.stop()


def _reuse_port_listener(host: str, port: int) -> socket.socket:
    """A TCP socket on ``host:port`` that other sockets with SO_REUSEPORT may also bind.

    Made with protocol IPPROTO_TCP: asyncio turns Nagle's algorithm off only on such sockets,
    and uvicorn's own (protocol 0) made every keep-alive answer wait ~40 ms for the client's
    delayed ACK (uvicorn issue #3149)."""
    # The family as uvicorn picks it for the same host (IPv6 only for an IPv6 address).
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    address = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)[0][4]
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    listener.bind(address)
    listener.set_inheritable(True)
    return listener


class _ListenerEach(Multiprocess):
    """uvicorn's supervisor, giving each serving process a listening socket of its own, all on
    the one port with SO_REUSEPORT: the kernel spreads new connections over them. On a single
    shared socket the process that wakes first accepts every waiting connection (asyncio
    accepts up to its backlog at a wake-up): sixteen keep-alive clients that connected
    together sent ~90% of their reports to one of two processes.

    uvicorn reads ``sockets`` for each process it starts (and restarts), so a fresh socket
    each read is one per process; the supervisor's copy is closed with the process's
    handle once uvicorn replaces it, so a dead process's socket leaves the group."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config, sockets=[])

    @property
    def sockets(self) -> list[socket.socket]:
        return [_reuse_port_listener(self.config.host, self.config.port)]

    @sockets.setter
    def sockets(self, _value: list[socket.socket]) -> None:
        pass  # uvicorn's constructor sets it; each process gets its own instead


@app.command()
def demo(
    host: Annotated[str | None, typer.Option(help="bind address")] = None,
    port: Annotated[int | None, typer.Option(help="port")] = None,
    simulate: Annotated[
        bool, typer.Option(help="keep creating and moving cases in the background")
    ] = True,
    simulate_rate: Annotated[
        float, typer.Option(help="new cases per minute while simulating")
    ] = DEMO_SIMULATE_RATE,
) -> None:
    """Create and seed the database if there is none, then serve the demo (with `gridgov
    simulate` running in the background unless --no-simulate)."""
    settings = get_settings()
    if not is_seeded(get_engine(settings)):
        console.print(
            "首次运行：生成演示辖区（太白湖新区）及三年 30 万件历史事件，"
            "需要几分钟（双核机器约 3–5 分钟，视机器忙闲而定），进度如下……"
        )
        _print_report(_run_seed(Tier.DISTRICT, 42, reset=False))
    _first_routing_model(settings)
    if simulate:
        _start_simulation(simulate_rate)
    url = f"http://{host or settings.host}:{port or settings.port}"
    console.print(f"\n[bold]gridgov 演示已启动：{url}[/bold]")
    console.print(
        f"演示账号（密码均为 {settings.demo_password!r}，由 GRIDGOV_DEMO_PASSWORD 设置）："
    )
    for username, label in DEMO_LOGINS:
        console.print(f"  {username:<22} {label}")
    console.print("全部账号：gridgov users list\n")
    serve(host=host, port=port)


def _first_routing_model(settings: Settings) -> None:
    """Train the routing model once before serving: the scheduled retraining would otherwise
    do it inside the web process during the demo's first minutes."""
    from gridgov.events import dispatching
    from gridgov.routing import services as routing

    actor = Actor.system("demo")
    with unit_of_work(get_engine(settings)) as session:
        if not routing.due_for_retraining(session, timedelta.max):  # only when there is none
            return
        console.print("训练智能分拨的文本模型（首次启动，约两三分钟）……")
        try:
            report = routing.train(
                session,
                dispatching.training_rows(session, actor=actor),
                actor=actor,
                activate=True,
                progress=console.print,
            )
        except AppError as exc:
            console.print(f"[yellow]未训练分拨模型：{exc.message}[/yellow]")
            return
    console.print(f"分拨模型 v{report.model.version} 已启用（{report.seconds:.0f} 秒）")


def _start_simulation(rate: float) -> None:
    """`gridgov simulate` in a daemon thread of the demo process: it stops with the server."""
    import threading

    from gridgov import simulate

    def loop() -> None:
        try:
            simulate.run(
                get_engine(), rate=rate, echo=lambda line: console.print(f"[dim]模拟：{line}[/dim]")
            )
        except Exception as exc:  # the demo keeps serving without it
            console.print(f"[red]模拟已停止：{exc}[/red]")

    threading.Thread(target=loop, name="gridgov-simulate", daemon=True).start()
    console.print(f"后台模拟：每分钟新增约 {rate:g} 件事件并推进未结事件（--no-simulate 关闭）")


@app.command("simulate")
def simulate_command(
    rate: Annotated[
        float, typer.Option(min=0, help="new cases per minute (each moved about six times)")
    ] = 6.0,
    interval: Annotated[
        float, typer.Option(min=0.5, help="seconds between ticks; each tick is one commit")
    ] = 10.0,
    duration: Annotated[
        float | None, typer.Option(help="stop after this many seconds (default: Ctrl-C)")
    ] = None,
    ticks: Annotated[int | None, typer.Option(min=1, help="stop after this many ticks")] = None,
    seed: Annotated[int | None, typer.Option(help="random seed, for a repeatable run")] = None,
) -> None:
    """Keep the demo alive: new cases through the real intake and open cases moved along the
    loop by the accounts whose work it is, one committed tick at a time."""
    from gridgov import simulate

    engine = get_engine()
    if not is_seeded(engine):
        console.print("[red]数据库为空：请先运行 gridgov seed 或 gridgov demo[/red]")
        raise typer.Exit(code=1)
    console.print(
        f"gridgov simulate：每分钟约 {rate:g} 件新事件，每 {interval:g} 秒提交一轮（Ctrl-C 停止）"
    )
    total = simulate.run(
        engine,
        rate=rate,
        interval=interval,
        duration=duration,
        ticks=ticks,
        seed=seed,
        echo=console.print,
    )
    console.print(f"合计：{simulate.summary(total)}")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    role: Annotated[Role | None, typer.Option(help="only this role")] = None,
) -> None:
    """Every account with its role and scope."""
    engine = get_engine()
    with session_factory(engine)() as session:
        listed = [
            (user, accounts.describe_scope(user, accounts.scope_of(session, user)))
            for user in accounts.all_users_for_operator(session)
            if role is None or user.role == role.value
        ]
    if as_json:
        rows = [
            {
                "username": user.username,
                "display_name": user.display_name,
                "role": user.role,
                "scope": scope.model_dump(),
                "is_active": user.is_active,
            }
            for user, scope in listed
        ]
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"{len(listed)} 个账号")
    for column in ("用户名", "姓名", "角色", "管辖区域", "部门"):
        table.add_column(column)
    for user, scope in listed:
        table.add_row(
            user.username,
            user.display_name,
            ROLE_LABELS[Role(user.role)],
            ",".join(scope.region_codes) or ("本人" if user.role == Role.CITIZEN else "全辖区"),
            str(scope.department_id or ""),
        )
    Console().print(table)


@users_app.command("create")
def users_create(
    username: Annotated[str, typer.Option(help="login name")],
    role: Annotated[Role, typer.Option(help="role")],
    display_name: Annotated[str, typer.Option(help="name shown in the UI")],
    scope_region: Annotated[str | None, typer.Option(help="region code of the scope")] = None,
    department_id: Annotated[int | None, typer.Option(help="department organisation id")] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create an account (for a real deployment, where no demo accounts exist)."""
    data = UserCreate(
        username=username,
        display_name=display_name,
        password=password,
        role=role,
        scope_region_code=scope_region,
        department_id=department_id,
    )
    try:
        with unit_of_work(get_engine()) as session:
            user = accounts.create_user(session, data, actor=Actor.system("cli"))
            console.print(f"created {user.username} (id {user.id})")
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=1) from exc


@registry_app.command("import")
def registry_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV, XLSX or GeoJSON")],
    target: Annotated[str, typer.Option(help="persons, components or a category code")],
    mode: Annotated[str, typer.Option(help="all_or_nothing or valid_only")] = "all_or_nothing",
    dry_run: Annotated[bool, typer.Option(help="check and report only")] = False,
    crs: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09")] = "wgs84",
    mapping: Annotated[str | None, typer.Option(help='JSON {"field": "column"}')] = None,
    file_format: Annotated[str | None, typer.Option("--format", help="csv, xlsx, geojson")] = None,
) -> None:
    """Import base data from a file, with a row-numbered report of every bad row."""
    from gridgov.kit.crypto import FieldCipher
    from gridgov.registry import services as registry
    from gridgov.registry.api import parse_mapping

    if mode not in ("all_or_nothing", "valid_only") or crs not in ("wgs84", "gcj02", "bd09"):
        console.print(
            "[red]--mode 应为 all_or_nothing 或 valid_only；--crs 应为 wgs84、gcj02 或 bd09[/red]"
        )
        raise typer.Exit(code=2)
    settings = get_settings()
    cipher = FieldCipher(settings.effective_data_key())
    with progress_bar() as bar:
        task = bar.add_task(f"检查并导入 {path.name}", total=None)
        try:
            with unit_of_work(get_engine(settings)) as session:
                report = registry.import_file(
                    session,
                    target,
                    path.read_bytes(),
                    path.name,
                    actor=Actor.system("cli-import"),
                    cipher=cipher,
                    file_format=file_format,
                    mapping=parse_mapping(mapping),
                    mode=mode,  # type: ignore[arg-type]
                    dry_run=dry_run,
                    crs=crs,  # type: ignore[arg-type]
                    progress=lambda done, total: bar.update(task, completed=done, total=total),
                )
        except AppError as exc:
            console.print(f"[red]{exc.code}: {exc.message}[/red]")
            raise typer.Exit(code=1) from exc
    for error in report.errors[:50]:
        console.print(f"  第 {error.row} 行 [{error.column}] {error.code}: {error.message}")
    if len(report.errors) > 50:
        console.print(f"  …… 另有 {len(report.errors) - 50} 处错误（--dry-run 查看全部请用 API）")
    rejected = not dry_run and mode == "all_or_nothing" and report.errors
    console.print(
        f"{report.total_rows} 行，合格 {report.valid_rows}，新增 {report.inserted}，"
        f"更新 {report.updated}，错误 {len(report.errors)}，用时 {report.seconds:.1f} s"
        + ("（全部或无：未写入任何数据）" if rejected else "")
        + ("（试运行）" if dry_run else "")
    )
    if rejected:
        raise typer.Exit(code=1)


@app.command()
def worker() -> None:
    """Run the background jobs (SLA scan) in this process; set GRIDGOV_JOBS=off for the web
    processes so only this one runs them."""
    import logging

    from gridgov.jobs import scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    console.print("gridgov worker: running jobs (Ctrl-C to stop)")
    try:
        scheduler(get_engine()).run_forever()
    except KeyboardInterrupt:
        console.print("stopped")


@events_app.command("init")
def events_init() -> None:
    """Install the default closed-loop workflow and event categories where none exist."""
    from gridgov.events import services as events

    with unit_of_work(get_engine()) as session:
        added = events.install_defaults(session, actor=Actor.system("cli"))
    console.print(f"installed {added} defaults" if added else "defaults already installed")


@mediation_app.command("init")
def mediation_init() -> None:
    """Install the default mediation workflow where none exists."""
    from gridgov.mediation import services as mediation

    with unit_of_work(get_engine()) as session:
        added = mediation.install_defaults(session, actor=Actor.system("cli"))
    console.print("installed the mediation workflow" if added else "already installed")


@mediation_app.command("scan")
def mediation_scan() -> None:
    """Run the dispute time-limit scan once (warnings, escalation of overdue disputes)."""
    from gridgov.jobs import mediation_scan as scan

    report = scan(get_engine())
    console.print(
        f"warned {report.warned}, overdue {report.overdue}, escalated {report.escalated}, "
        f"notified {report.notified}"
    )


@analytics_app.command("rollup")
def analytics_rollup(
    full: Annotated[
        bool, typer.Option("--full", help="rebuild from every case instead of the changed ones")
    ] = False,
) -> None:
    """Bring the analytics rollups up to date (the cases changed since the last run), or
    rebuild them whole with --full."""
    from gridgov.analytics import services as analytics

    with unit_of_work(get_engine()) as session:
        actor = Actor.system("cli")
        if full:
            report = analytics.rollup_full(session, actor=actor)
        else:
            report = analytics.rollup_incremental(session, actor=actor)
    console.print(
        f"{report.mode}: {report.cases:,} cases, {report.daily_keys:,} daily and "
        f"{report.monthly_keys:,} monthly keys in {report.seconds:.2f} s"
    )


@alerts_app.command("scan")
def alerts_scan() -> None:
    """Run the early-warning scan now (abnormal rises, recurrences, SLA risk, overdue visits)
    and print what it found."""
    from gridgov.alerts import services as alerts

    with unit_of_work(get_engine()) as session:
        report = alerts.scan(session, actor=Actor.system("cli"))
    console.print(f"{report.summary()}（{report.seconds:.2f} s）")


@events_app.command("import")
def events_import(
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="CSV or XLSX")],
    dry_run: Annotated[bool, typer.Option(help="check and report only")] = False,
    skip_invalid: Annotated[
        bool, typer.Option(help="import the good rows and report the bad ones")
    ] = False,
    crs: Annotated[str, typer.Option(help="wgs84, gcj02 or bd09 when no 坐标系 column")] = "gcj02",
    as_user: Annotated[
        str | None,
        typer.Option(
            "--as-user",
            help="import as this account, so its earlier web imports count as already imported",
        ),
    ] = None,
) -> None:
    """Import 12345 hotline work orders as cases (source hotline); every row is checked first."""
    from gridgov.events import hotline
    from gridgov.kit.crypto import FieldCipher

    if crs not in ("wgs84", "gcj02", "bd09"):
        console.print("[red]--crs 应为 wgs84、gcj02 或 bd09[/red]")
        raise typer.Exit(code=2)
    settings = get_settings()
    with progress_bar() as bar:
        tasks: dict[str, TaskID] = {}

        def progress(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(f"{stage} {path.name}", total=max(total, 1))
            bar.update(tasks[stage], completed=done, total=max(total, 1))

        try:
            with unit_of_work(get_engine(settings)) as session:
                actor = Actor.system("hotline-import")
                if as_user:
                    users = accounts.all_users_for_operator(session)
                    user = next((u for u in users if u.username == as_user), None)
                    if user is None:
                        console.print(f"[red]账号 {as_user} 不存在[/red]")
                        raise typer.Exit(code=1)
                    actor = accounts.actor_for(session, user)
                report = hotline.import_workorders(
                    session,
                    path.read_bytes(),
                    path.name,
                    actor=actor,
                    cipher=FieldCipher(settings.effective_data_key()),
                    dry_run=dry_run,
                    skip_invalid=skip_invalid,
                    crs=crs,  # type: ignore[arg-type]
                    progress=progress,
                )
        except AppError as exc:
            console.print(f"[red]{exc.code}: {exc.message}[/red]")
            raise typer.Exit(code=1) from exc
    for error in report.errors[:50]:
        console.print(f"  第 {error.row} 行 [{error.column}] {error.code}: {error.message}")
    if report.invalid and len(report.errors) > 50:
        console.print(f"  …… 另有 {len(report.errors) - 50} 处错误")
    console.print(
        f"{report.rows} 行：新增 {report.created}，此前已导入 {report.already_imported}，"
        f"错误 {report.invalid} 行，合格 {report.valid} 行，用时 {report.seconds:.1f} s"
        + ("（有错误行，未导入任何工单；--skip-invalid 导入合格行）" if report.rejected else "")
        + ("（试运行，未写入）" if dry_run else "")
    )
    if report.rejected:
        raise typer.Exit(code=1)


@audit_app.command("verify")
def audit_verify() -> None:
    """Recompute every case timeline's hash chain; exit 1 if any entry was altered."""
    from gridgov.events import services as events

    with session_factory(get_engine())() as session:
        report = events.verify_timelines(session)
    console.print(f"{report.instances:,} timelines, {report.steps:,} entries checked")
    for instance_id, seq in report.broken:
        console.print(f"[red]timeline {instance_id} broken at entry {seq}[/red]")
    if report.broken:
        raise typer.Exit(code=1)
    console.print("hash chains intact")


@networks_app.command("create")
def networks_create(
    code: Annotated[str, typer.Argument(help="network code, e.g. police")],
    name: Annotated[str, typer.Argument(help="e.g. 公安警格")],
    department: Annotated[str | None, typer.Option(help="owning department's org code")] = None,
    role: Annotated[str | None, typer.Option(help="roster role its officers fill")] = None,
    categories: Annotated[str, typer.Option(help="event category prefixes, comma-separated")] = "",
) -> None:
    """Register a departmental network (its polygons come with `networks import`)."""
    from gridgov.networks import services as networks
    from gridgov.networks.schemas import NetworkCreate
    from gridgov.orgs import services as orgs

    actor = Actor.system("cli")
    try:
        with unit_of_work(get_engine()) as session:
            department_id = None
            if department:
                found = orgs.ids_for_codes(session, [department], actor=actor)
                if department not in found:
                    console.print(f"[red]unknown organisation {department}[/red]")
                    raise typer.Exit(code=1)
                department_id = found[department]
            data = NetworkCreate(
                code=code,
                name=name,
                department_id=department_id,
                roster_role=role,
                category_prefixes=[c.strip() for c in categories.split(",") if c.strip()],
            )
            networks.create_network(session, data, actor=actor)
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"created network {code}")


@networks_app.command("import")
def networks_import(
    code: Annotated[str, typer.Argument(help="network code, e.g. police")],
    path: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="GeoJSON file")],
    note: Annotated[str, typer.Option(help="what changed in this version")] = "",
) -> None:
    """Import a new version of a network's polygons; it becomes current and the overlay on the
    basic grids is recomputed."""
    from pydantic import ValidationError

    from gridgov.kit.crypto import FieldCipher
    from gridgov.networks import services as networks
    from gridgov.networks.schemas import NetworkImport

    settings = get_settings()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        data = NetworkImport.model_validate({**document, "note": note or document.get("note", "")})
    except (ValueError, ValidationError) as exc:
        console.print(f"[red]not a GeoJSON FeatureCollection: {exc}[/red]")
        raise typer.Exit(code=1) from exc
    try:
        with unit_of_work(get_engine(settings)) as session:
            version = networks.import_version(
                session,
                code,
                data,
                actor=Actor.system("cli-import"),
                cipher=FieldCipher(settings.effective_data_key()),
            )
            console.print(f"{code}: version {version.version}, {version.unit_count} units")
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        for error in exc.details.get("errors", []):
            console.print(f"  #{error['index']} {error['unit_code']}: {error['message']}")
        raise typer.Exit(code=1) from exc


@networks_app.command("recompute")
def networks_recompute(
    network: Annotated[str | None, typer.Option(help="one network code (default: all)")] = None,
) -> None:
    """Recompute the overlay of the networks on the basic grids."""
    from gridgov.networks import services as networks

    try:
        with unit_of_work(get_engine()) as session:
            done = networks.recompute_overlay(
                session, actor=Actor.system("cli"), network_code=network
            )
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=1) from exc
    for item in done:
        console.print(f"{item.network_code} v{item.version}: {item.rows} grid–unit rows")


def _read_public(paths: Sequence[Path], label_column: str) -> list[tuple[str, str]]:
    """(text, department code) pairs from labelled public messages: each row's ``text`` column
    (or its ``tokens`` joined), its label mapped to the department whose business it is."""
    import csv

    from gridgov.routing.catalog import PUBLIC_LABEL_DEPARTMENTS

    pairs: list[tuple[str, str]] = []
    for path in paths:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            columns = reader.fieldnames or []
            if label_column not in columns or not ({"text", "tokens"} & set(columns)):
                console.print(
                    f"[red]{path.name}：需要 {label_column} 列和 text（或 tokens）列[/red]"
                )
                raise typer.Exit(code=2)
            for row in reader:
                text = row.get("text") or (row.get("tokens") or "").replace(" ", "")
                department = PUBLIC_LABEL_DEPARTMENTS.get((row.get(label_column) or "").strip())
                if text and department:
                    pairs.append((text, department))
    return pairs


@routing_app.command("train")
def routing_train(
    public: Annotated[
        list[Path] | None,
        typer.Option(
            "--public",
            exists=True,
            dir_okay=False,
            help="labelled public messages (CSV) to learn from besides the closed cases",
        ),
    ] = None,
    label_column: Annotated[str, typer.Option(help="the label column of --public files")] = "label",
    activate: Annotated[bool, typer.Option(help="make the new version the active one")] = False,
    max_cases: Annotated[int | None, typer.Option(help="newest closed cases to read")] = None,
) -> None:
    """Train a new version of the routing text model from closed cases and corrections."""
    from gridgov.events import dispatching
    from gridgov.routing import services as routing

    pairs = _read_public(public or [], label_column)
    actor = Actor.system("cli-routing")
    try:
        with unit_of_work(get_engine()) as session:
            rows = dispatching.training_rows(session, actor=actor, limit=max_cases)
            console.print(f"读取 {len(rows)} 条已办结或已纠正的案件，{len(pairs)} 条公开数据")
            report = routing.train(
                session, rows, actor=actor, public=pairs, activate=activate, progress=console.print
            )
            version, metrics = report.model.version, report.model.metrics
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=1) from exc
    state = "已启用" if activate else "草稿（--activate 启用）"
    console.print(f"模型 v{version}：{report.seconds:.0f} 秒，{state}")
    console.print(json.dumps(metrics, ensure_ascii=False))


@routing_app.command("evaluate")
def routing_evaluate(
    version: Annotated[
        int | None, typer.Option(help="model version (default: the active one)")
    ] = None,
    since_days: Annotated[int, typer.Option(help="cases closed in the last N days")] = 90,
) -> None:
    """Measure a stored model on recently closed cases; prints one JSON object."""
    from datetime import timedelta

    from gridgov.events import dispatching
    from gridgov.kit.clock import now
    from gridgov.routing import services as routing

    actor = Actor.system("cli-routing")
    try:
        with unit_of_work(get_engine()) as session:
            rows = dispatching.recent_rows(
                session, actor=actor, since=now() - timedelta(days=since_days)
            )
            result = routing.evaluate(session, rows, actor=actor, version=version)
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=1) from exc
    print(json.dumps(result, ensure_ascii=False))


@routing_app.command("benchmark")
def routing_benchmark(
    train: Annotated[
        list[Path],
        typer.Option("--train", help="labelled CSV to train on (repeatable)"),
    ],
    test: Annotated[Path, typer.Option("--test", help="labelled CSV to measure on")],
    label_column: Annotated[str, typer.Option(help="the label column of every file")] = "label",
) -> None:
    """Train a fresh text model on the --train files and measure it on --test; prints one JSON
    object (accuracy, macro_f1, top3_accuracy, n_train, n_test, p50_ms, p99_ms, …)."""
    from gridgov.routing.benchmark import run_benchmark

    try:
        result = run_benchmark(train, test, label_column, progress=console.print)
    except AppError as exc:
        console.print(f"[red]{exc.code}: {exc.message}[/red]")
        raise typer.Exit(code=2) from exc
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    app()
