"""The ``tidu`` command. Each command is a thin wrapper: one transaction around one service call."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from alembic import command
from alembic.config import Config
from rich.table import Table
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from backend.commands import awards as award_commands
from backend.commands import backup as backup_commands
from backend.commands import exports as export_commands
from backend.commands import imports as import_commands
from backend.commands import jobs as job_commands
from backend.commands import rules as rules_commands
from backend.commands import tiers as tier_commands
from backend.commands.common import console, errors, fail, in_transaction, operator
from backend.core.config import Settings, get_settings, libpq_url
from backend.core.db import database_url, dispose_engine, make_engine
from backend.core.embedded_pg import EmbeddedPostgres, EmbeddedPostgresError
from backend.core.logs import logging_config
from backend.core.metrics import MULTIPROC_ENV
from backend.demo import service as demo_service
from backend.system import service as system
from backend.users import service as user_service
from backend.users.schemas import NewUser
from vocabulary.states import ROLE_LABELS, Role

T = TypeVar("T")
MIGRATIONS = Path(__file__).parent / "migrations"
METRICS_PREFIX = "tidu-metrics-"

app = typer.Typer(no_args_is_help=True, help="tidu：天津科技型企业梯度培育登记系统")
db_app = typer.Typer(no_args_is_help=True, help="数据库：迁移、连接串、内嵌 PostgreSQL 的启停")
user_app = typer.Typer(no_args_is_help=True, help="用户管理")
app.add_typer(db_app, name="db")
db_app.command("backup")(backup_commands.backup)
db_app.command("restore")(backup_commands.restore)
app.add_typer(user_app, name="user")
app.add_typer(rules_commands.rules_app, name="rules")
app.add_typer(import_commands.template_app, name="template")
app.command("import")(import_commands.import_file)
app.command("export")(export_commands.export_file)
app.command("scheduler")(job_commands.scheduler)
app.add_typer(job_commands.jobs_app, name="jobs")
app.add_typer(award_commands.awards_app, name="awards")
app.add_typer(tier_commands.tiers_app, name="tiers")
app.command("evaluate")(rules_commands.evaluate)
app.command("whatif")(rules_commands.whatif)


def main() -> None:
    """The ``tidu`` entry point: an unexpected failure is told in Chinese, its traceback kept in a log.

    Every command runs in one transaction, so a failure leaves nothing half written.
    """
    try:
        app()
    except Exception as exc:
        where = crash_log(exc)
        errors.print(
            "[red]错误：[/red]tidu 内部错误，本次操作未完成，未保存任何修改。"
            f"详细信息已记录在 {where}，请将该文件提供给系统管理员。"
        )
        raise SystemExit(70) from None  # EX_SOFTWARE


def crash_log(exc: BaseException) -> str:
    """Append the traceback to ``$TIDU_DATA_DIR/logs/tidu-errors.log`` (or the temp folder); say where it went."""
    text = (
        f"{datetime.now(UTC).isoformat()} {' '.join(sys.argv)}\n{''.join(traceback.format_exception(exc))}\n"
    )
    for folder in (get_settings().data_dir / "logs", Path(tempfile.gettempdir())):
        path = folder / "tidu-errors.log"
        try:
            folder.mkdir(parents=True, exist_ok=True)
            with path.open("a", encoding="utf-8") as log:
                log.write(text)
            return str(path)
        except OSError:
            continue
    sys.stderr.write(text)
    return "上方输出"


def alembic_config(url: str | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if url:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


async def upgrade_database(url: str, settings: Settings) -> None:
    """Apply every pending migration on one connection (alembic's async recipe)."""
    engine = make_engine(url, settings, role="migrate")

    def upgrade(connection: object) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    try:
        async with engine.begin() as connection:
            assert isinstance(connection, AsyncConnection)
            await connection.run_sync(upgrade)
    finally:
        await dispose_engine(engine)


class LogFormatChoice(StrEnum):
    text = "text"
    json = "json"


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址（默认 TIDU_HOST 或 127.0.0.1）")] = None,
    port: Annotated[int | None, typer.Option(help="端口（默认 TIDU_PORT 或 8000）")] = None,
    workers: Annotated[int, typer.Option(min=1, help="API 进程数")] = 1,
    with_scheduler: Annotated[
        bool, typer.Option("--scheduler/--no-scheduler", help="同时在独立进程中运行后台任务调度器")
    ] = True,
    log_format: Annotated[
        LogFormatChoice | None, typer.Option(help="日志格式：text 或 json（默认 TIDU_LOG_FORMAT 或 text）")
    ] = None,
    proxy_headers: Annotated[
        bool,
        typer.Option(
            "--proxy-headers/--no-proxy-headers",
            help="采信受信任反向代理的 X-Forwarded-For / X-Forwarded-Proto（--no-proxy-headers：一律不采信）",
        ),
    ] = True,
    forwarded_allow_ips: Annotated[
        str | None,
        typer.Option(
            help="受信任的反向代理地址或网段，逗号分隔（默认 TIDU_FORWARDED_ALLOW_IPS 或 127.0.0.1）"
        ),
    ] = None,
) -> None:
    """Serve the API and pages (OpenAPI at /docs), and the job scheduler in its own process."""
    import uvicorn

    settings = get_settings()
    _exit_on_sigterm()
    chosen_format = log_format.value if log_format is not None else settings.log_format
    trusted = settings.forwarded_allow_ips if forwarded_allow_ips is None else forwarded_allow_ips
    try:
        with database_url(settings) as url, metrics_directory():
            # Workers and the scheduler inherit the URL: one embedded server for all, started here.
            os.environ["DATABASE_URL"] = url
            os.environ["TIDU_LOG_FORMAT"] = chosen_format
            get_settings.cache_clear()
            scheduler = _start_scheduler() if with_scheduler else None
            console.print(
                f"tidu 正在 http://{host or settings.host}:{port or settings.port} 提供服务（Ctrl-C 停止）"
            )
            try:
                uvicorn.run(
                    "backend.main:create_app",
                    factory=True,
                    host=host or settings.host,
                    port=port or settings.port,
                    workers=workers,
                    # Named, not "auto": a missing package fails the start instead of falling back
                    # to asyncio, whose sockets under --workers > 1 delay every keep-alive answer 40 ms.
                    loop="uvloop",
                    http="httptools",
                    log_level="info",
                    # Then cancel what is left: a request stuck on a dead database must not hold
                    # up a restart (uvicorn would otherwise wait for it indefinitely).
                    timeout_graceful_shutdown=settings.shutdown_grace_seconds,
                    # uvicorn restarts a worker that does not answer its health check within
                    # 5 s; a worker importing tidu on a busy machine, or answering a crowd on two
                    # CPUs, can take longer, and the restart drops every connection it holds.
                    timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
                    timeout_keep_alive=KEEP_ALIVE_SECONDS,
                    log_config=logging_config(chosen_format),
                    access_log=False,  # tidu.access writes one line per request, with its id
                    proxy_headers=proxy_headers and bool(trusted.strip()),
                    forwarded_allow_ips=trusted,
                )
            finally:
                if scheduler is not None:
                    _stop(scheduler)
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from exc


WORKER_HEALTHCHECK_SECONDS = 60
# uvicorn closes an idle connection after 5 s, as long as clients (httpx) keep one for reuse: a
# request sent on it as the server closes it is reset (1 in 5,726 at 200 users in the load
# benchmark). The server should not be the side that gives up first; 75 s is nginx's default.
KEEP_ALIVE_SECONDS = 75


@contextlib.contextmanager
def metrics_directory() -> Iterator[None]:
    """One prometheus multiprocess directory for the API workers and the scheduler, removed after.

    Set before any of them imports prometheus_client (backend/core/metrics.py imports it late).
    The directory is named after this process: one a killed `tidu serve` left is removed here.
    """
    for stale in Path(tempfile.gettempdir()).glob(f"{METRICS_PREFIX}*-*"):
        owner = stale.name.removeprefix(METRICS_PREFIX).split("-", 1)[0]
        if owner.isdigit() and not _process_exists(int(owner)):
            shutil.rmtree(stale, ignore_errors=True)
    directory = tempfile.mkdtemp(prefix=f"{METRICS_PREFIX}{os.getpid()}-")
    os.environ[MULTIPROC_ENV] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another account's
    return True


def _exit_on_sigterm() -> None:
    """SIGTERM (systemd, docker stop, kill) ends tidu as Ctrl-C does: the scheduler and the embedded server stop too.

    uvicorn shuts down on SIGTERM and then raises it again; with the default action the process
    would die there, before the ``finally`` blocks that stop them.
    """
    signal.signal(signal.SIGTERM, lambda signum, _frame: sys.exit(128 + signum))


def _start_scheduler() -> subprocess.Popen[bytes]:
    # The child ends itself when this process dies, even by SIGKILL (backend/core/parent_watch.py).
    return subprocess.Popen([sys.executable, "-m", "backend", "scheduler", "--parent-pid", str(os.getpid())])


def _stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all pending migrations."""
    settings = get_settings()
    try:
        with database_url(settings) as url:
            asyncio.run(upgrade_database(url, settings))
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from exc
    console.print("数据库已迁移到最新版本")


@db_app.command("url")
def db_url() -> None:
    """Print a connection URL for psql (the embedded server's too)."""
    settings = get_settings()
    if settings.database_url:
        print(libpq_url(settings.database_url))
        return
    server = EmbeddedPostgres.for_data_dir(settings.data_dir, settings.pg_user)
    print(server.url(driver=""))
    if not server.is_running():
        errors.print("提示：内嵌 PostgreSQL 当前未运行；先运行 tidu serve 或 tidu db start")


@db_app.command("start")
def db_start() -> None:
    """Start the embedded PostgreSQL and leave it running (until `tidu db stop`)."""
    settings = get_settings()
    if settings.database_url:
        raise fail("已设置 DATABASE_URL：tidu 使用外部数据库，无需启动内嵌 PostgreSQL")
    try:
        with database_url(settings, keep_running=True) as url:
            console.print(f"内嵌 PostgreSQL 已运行：{libpq_url(url)}")
    except EmbeddedPostgresError as exc:
        raise fail(str(exc)) from exc


@db_app.command("stop")
def db_stop() -> None:
    """Stop the embedded PostgreSQL unless a tidu process is still using it."""
    settings = get_settings()
    server = EmbeddedPostgres.for_data_dir(settings.data_dir, settings.pg_user)
    if not server.stop():
        raise fail("仍有 tidu 进程在使用内嵌 PostgreSQL，未停止")
    console.print("内嵌 PostgreSQL 已停止")


@app.command()
def info(as_json: Annotated[bool, typer.Option("--json", help="输出 JSON")] = False) -> None:
    """The database in use and the size of the registry."""
    settings = get_settings()

    async def gather(session: AsyncSession) -> dict[str, object]:
        return {
            "server_version": await system.server_version(session),
            "counts": await system.counts(session),
        }

    facts = in_transaction(gather)
    shown_url = (
        settings.database_url or EmbeddedPostgres.for_data_dir(settings.data_dir, settings.pg_user).url()
    )
    payload = {
        "database": "external" if settings.database_url else "embedded",
        "url": _hide_password(shown_url),
        **facts,
    }
    if as_json:
        print(json.dumps(payload, ensure_ascii=False))
        return
    table = Table(title="tidu 登记库")
    table.add_column("项目")
    table.add_column("值", justify="right")
    table.add_row("数据库", f"{payload['database']} · PostgreSQL {facts['server_version']}")
    table.add_row("连接", str(payload["url"]))
    labels = {
        "firms": "企业",
        "filings": "申报（企业×年度）",
        "revisions": "申报版本",
        "certificates": "证书",
        "tier_statuses": "梯度记录",
        "users": "用户",
    }
    counts = facts["counts"]
    assert isinstance(counts, dict)
    for key, label in labels.items():
        table.add_row(label, f"{counts[key]:,}")
    console.print(table)


def _hide_password(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


@user_app.command("create")
def user_create(
    username: str,
    role: Annotated[Role, typer.Option(help="enterprise | bureau | city | finance | admin")],
    display_name: Annotated[str | None, typer.Option(help="显示名称")] = None,
    bureau: Annotated[str | None, typer.Option(help="bureau 角色绑定的审查单位代码")] = None,
    firm: Annotated[str | None, typer.Option(help="enterprise 角色绑定企业的统一社会信用代码")] = None,
    password: Annotated[str | None, typer.Option(help="不提供则交互输入")] = None,
) -> None:
    """Create a user bound as the role requires."""
    secret = password or typer.prompt("密码", hide_input=True, confirmation_prompt=True)
    try:
        data = NewUser(
            username=username,
            password=secret,
            role=role,
            display_name=display_name or username,
            bureau_code=bureau,
            firm_uscc=firm,
        )
    except ValueError as exc:
        raise fail(f"输入无效：{exc}") from exc
    in_transaction(lambda session: user_service.create_user(session, operator(), data))
    console.print(f"已创建用户 {username}（{ROLE_LABELS[role]}）")


@app.command()
def demo(
    firms: Annotated[int, typer.Option(min=1, help="示例企业数量")] = 5000,
    seed: Annotated[int, typer.Option(help="随机种子：同一种子生成同一登记库")] = 2026,
    if_empty: Annotated[bool, typer.Option("--if-empty", help="登记库非空时什么也不做")] = False,
) -> None:
    """Fill an empty registry with realistic synthetic firms, filings, certificates and demo users."""

    async def work(session: AsyncSession) -> demo_service.DemoResult | None:
        if if_empty and not await system.is_empty(session):
            return None
        return await demo_service.load_demo(session, operator(), firms=firms, seed=seed)

    with console.status("正在生成示例登记库…"):
        result = in_transaction(work)
    if result is None:
        console.print("登记库已有数据，跳过示例数据生成")
        return
    console.print(
        f"已生成示例登记库：{result.counts['firms']:,} 家企业，{result.counts['filings']:,} 份年度申报，"
        f"{result.counts['certificates']:,} 张证书，{result.counts['tier_statuses']:,} 条梯度记录"
    )
    opened = result.year
    console.print(
        f"已开启 {opened.year} 年度：{opened.decisions:,} 条评价结果，{opened.batch_label}候选企业 "
        f"{opened.candidates:,} 家，待区审查的奖励 {opened.awards:,} 笔"
    )
    table = Table(title="示例用户（仅供演示，请勿用于生产）")
    for column in ("用户名", "密码", "角色"):
        table.add_column(column)
    for username, password, label in result.users:
        table.add_row(username, password, label)
    console.print(table)
