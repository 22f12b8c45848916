"""A real Dovecot IMAP server for tests: foreground, own temp dir and config, loopback ephemeral ports.

Used as the `dovecot` pytest fixture (see `dovecot_server`). The server serves one passwd-file user
with a Maildir; IMAPS and IMAP (STARTTLS or plain) listen on 127.0.0.1 with a certificate made at
test time. Dovecot 2.3 and 2.4 take different config syntax; the template is picked from
`dovecot --version`. The 2.3 one runs here (Debian 12, 2.3.19.1); the 2.4 one follows doc.dovecot.org's
2.3→2.4 upgrade notes and was run with Debian 13's 2.4.1 (from a trixie debootstrap, as root and as
nobody): `dovecot -n` accepts it and the IMAP tests pass against it.

When the server does not come up, the fixture fails with DovecotStartError's text: the version,
Dovecot's log file and stderr, what `dovecot -n` says of the config, and the config with line numbers.
"""

from __future__ import annotations

import contextlib
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import free_port, require_binary

USER = "postmaster@example.com"
PASSWORD = "s3cret-pw"

# The same in 2.3 and 2.4: loopback listeners on ephemeral ports (chroot off when not root).
_SERVICES = """\
service imap-login {{
  {login_chroot}
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
    ssl = yes
  }}
}}
service anvil {{
  {anvil_chroot}
}}
"""

_CONF_23 = """\
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_cert = <{root}/tls/cert.pem
ssl_key = <{root}/tls/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:{root}/mail/%u/Maildir
first_valid_uid = {uid}
first_valid_gid = {gid}
{privileges}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/home/%u
}}
"""

_CONF_24 = """\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/log/dovecot.log
listen = 127.0.0.1
protocols = imap
ssl = yes
ssl_server_cert_file = {root}/tls/cert.pem
ssl_server_key_file = {root}/tls/key.pem
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
mail_driver = maildir
mail_home = {root}/home/%{{user}}
mail_path = {root}/mail/%{{user}}/Maildir
first_valid_uid = {uid}
first_valid_gid = {gid}
{privileges}
namespace inbox {{
  inbox = yes
}}
passdb passwd-file {{
  driver = passwd-file
  passwd_file_path = {root}/passwd
}}
userdb static {{
  driver = static
  fields {{
    uid = {uid}
    gid = {gid}
    home = {root}/home/%{{user}}
  }}
}}
"""


class DovecotStartError(RuntimeError):
    """Dovecot did not come up; the message holds its log, stderr, config check and config."""


@dataclass
class Dovecot:
    """One running (or stopped) Dovecot instance and helpers to put mail in its Maildir."""

    binary: str
    root: Path
    imap_port: int = field(default_factory=free_port)
    imaps_port: int = field(default_factory=free_port)
    user: str = USER
    password: str = PASSWORD
    process: subprocess.Popen[bytes] | None = None
    _mail_uid: int = -1
    _mail_gid: int = -1
    _version_cache: tuple[int, int] | None = None

    @property
    def ca_file(self) -> str:
        return str(self.root / "tls" / "cert.pem")

    @property
    def maildir(self) -> Path:
        return self.root / "mail" / self.user / "Maildir"

    # ----------------------------------------------------------------- lifecycle

    def prepare(self) -> None:
        for sub in ("run", "state", "log", "mail", "home", "tls"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o755)
        if os.geteuid() == 0:
            # uid 0 is refused as a mail user even with first_valid_uid = 0: serve mail as nobody.
            self._mail_uid, self._mail_gid = 65534, 65534
        else:
            self._mail_uid, self._mail_gid = os.getuid(), os.getgid()
        passwd = self.root / "passwd"
        passwd.write_text(f"{self.user}:{{PLAIN}}{self.password}:{self._mail_uid}:{self._mail_gid}::"
                          f"{self.root}/home/{self.user}\n")
        passwd.chmod(0o644)
        self._make_certificate()
        for name in ("cur", "new", "tmp"):
            (self.maildir / name).mkdir(parents=True, exist_ok=True)
        (self.root / "home" / self.user).mkdir(parents=True, exist_ok=True)
        self._chown_tree(self.root / "mail")
        self._chown_tree(self.root / "home")
        (self.root / "dovecot.conf").write_text(self._config())

    def start(self) -> None:
        """Start in the foreground (own session) and wait for the IMAP greeting.

        Raises DovecotStartError, whose message carries what is needed to diagnose the failure in a
        CI log: the version, Dovecot's own log and stderr, its config check and the numbered config.
        """
        log = (self.root / "log" / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                code, self.process = self.process.returncode, None
                raise DovecotStartError(self._diagnosis(f"dovecot exited with status {code} before greeting"))
            if _greets(self.imap_port):
                return
            time.sleep(0.02)
        message = self._diagnosis(f"dovecot did not greet on 127.0.0.1:{self.imap_port} within 10 s")
        self.stop()
        raise DovecotStartError(message)

    def stop(self) -> None:
        """killpg the whole session: the master alone takes ~1 s and leaves imap processes behind."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)
        # Children of the group may outlive the master for a moment.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)

    def kill(self) -> None:
        """Die at once, as a crashed server or a cut network would."""
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)

    def log_text(self) -> str:
        """The tail of Dovecot's log file and of its stdout/stderr (config errors land in the latter)."""
        parts = []
        for name in ("dovecot.log", "stdout.log"):
            path = self.root / "log" / name
            if path.exists():
                text = path.read_text(errors="replace")
                parts.append(f"--- {path}{' (last 4000 chars)' if len(text) > 4000 else ''}:\n{text[-4000:]}")
        return "\n".join(parts)

    def _diagnosis(self, headline: str) -> str:
        conf = self.root / "dovecot.conf"
        try:
            version = subprocess.run([self.binary, "--version"], capture_output=True, text=True,
                                     timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError) as exc:
            version = f"? ({exc})"
        try:
            # `dovecot -n` names the offending line and setting ("Unknown setting: ...").
            check = subprocess.run([self.binary, "-n", "-c", str(conf)], capture_output=True, text=True,
                                   timeout=20)
            checked = ("config accepted (exit 0)" if check.returncode == 0 else
                       f"exit {check.returncode}:\n{check.stderr.strip() or '(no stderr)'}")
        except (OSError, subprocess.SubprocessError) as exc:
            checked = f"could not run: {exc}"
        numbered = "\n".join(f"{n:3} {line}" for n, line in
                             enumerate(conf.read_text().splitlines(), 1)) if conf.exists() else "(missing)"
        template = "2.4" if self._is_24 else "2.3"
        return (f"{headline}\n"
                f"binary: {self.binary}, version {version}, config template for {template}\n"
                f"--- Dovecot log and stderr:\n{self.log_text() or '(empty)'}\n"
                f"--- `dovecot -n -c {conf}`: {checked}\n"
                f"--- {conf}:\n{numbered}")

    # ----------------------------------------------------------------- mail

    def deliver(self, raw: bytes, folder: str = "INBOX", *, name: str | None = None) -> Path:
        """Drop a message into the Maildir as an MDA would (tmp/ then rename into new/)."""
        directory = self.maildir if folder == "INBOX" else self.maildir / f".{folder}"
        if not directory.exists():
            for sub in ("cur", "new", "tmp"):
                (directory / sub).mkdir(parents=True, exist_ok=True)
            (directory / "maildirfolder").touch()
            self._chown_tree(directory)
        unique = name or f"{time.time_ns()}.P{os.getpid()}Q{next(_counter)}.test"
        tmp = directory / "tmp" / unique
        tmp.write_bytes(raw)
        self._chown(tmp)
        final = directory / "new" / unique
        tmp.rename(final)
        return final

    def _config(self) -> str:
        template = (_CONF_24 if self._is_24 else _CONF_23) + _SERVICES
        root_run = os.geteuid() == 0
        me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        privileges = "" if root_run else (
            f"default_login_user = {me}\ndefault_internal_user = {me}\ndefault_internal_group = {group}")
        chroot = "" if root_run else "chroot ="
        return template.format(
            instance=f"bc-test-{self.imap_port}", root=self.root, uid=self._mail_uid, gid=self._mail_gid,
            imap_port=self.imap_port, imaps_port=self.imaps_port, privileges=privileges,
            login_chroot=chroot, anvil_chroot=chroot)

    @property
    def _is_24(self) -> bool:
        if self._version_cache is None:
            self._version_cache = _version(self.binary)
        return self._version_cache >= (2, 4)

    def _make_certificate(self) -> None:
        tls = self.root / "tls"
        subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-nodes", "-days", "2", "-subj", "/CN=localhost",
             "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
             "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
            check=True, capture_output=True)
        (tls / "cert.pem").chmod(0o644)

    def _chown(self, path: Path) -> None:
        if os.geteuid() == 0:
            os.chown(path, self._mail_uid, self._mail_gid)

    def _chown_tree(self, top: Path) -> None:
        self._chown(top)
        for dirpath, dirnames, filenames in os.walk(top):
            for name in (*dirnames, *filenames):
                self._chown(Path(dirpath) / name)


_counter = iter(range(1, 1 << 62))


def _version(binary: str) -> tuple[int, int]:
    out = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True).stdout
    major, minor = out.split()[0].split(".")[:2]
    return int(major), int(minor)


def _greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


@contextlib.contextmanager
def running_dovecot() -> Iterator[Dovecot]:
    """A started Dovecot in its own temp dir (pytest's tmp_path is 0700, unreadable to dovecot's users)."""
    binary = require_binary("dovecot")
    require_binary("openssl")
    root = Path(tempfile.mkdtemp(prefix="bouncecheck-dovecot-"))
    server = Dovecot(binary=binary, root=root)
    try:
        server.prepare()
        for attempt in range(3):
            try:
                server.start()
                break
            except DovecotStartError:
                # free_port() only guesses: a parallel test run may have taken a port since.
                if attempt == 2 or "in use" not in server.log_text():
                    raise
                server.imap_port, server.imaps_port = free_port(), free_port()
                (root / "dovecot.conf").write_text(server._config())
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    with contextlib.ExitStack() as stack:
        failure = None
        try:
            server = stack.enter_context(running_dovecot())
        except DovecotStartError as exc:
            failure = str(exc)
        if failure is not None:  # outside the except: no chained copy of the same text in the report
            pytest.fail(f"Dovecot test server failed to start: {failure}", pytrace=False)
        yield server
