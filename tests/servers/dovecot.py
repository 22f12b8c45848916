"""A real Dovecot IMAP server for tests: foreground, own temp dir and config, loopback ephemeral ports.

Used as the `dovecot` pytest fixture (see `dovecot_server`). The server serves one passwd-file user
with a Maildir; IMAPS and IMAP (STARTTLS or plain) listen on 127.0.0.1 with a certificate made at
test time. Dovecot 2.3 and 2.4 take different config syntax; the template is picked from
`dovecot --version` (the 2.4 one follows doc.dovecot.org's 2.3→2.4 upgrade notes).
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
        log = (self.root / "log" / "stdout.log").open("ab")
        self.process = subprocess.Popen(
            [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited with {self.process.returncode}:\n{self.log_text()}")
            if _greets(self.imap_port):
                return
            time.sleep(0.02)
        raise RuntimeError(f"dovecot did not answer on port {self.imap_port}:\n{self.log_text()}")

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
        parts = []
        for name in ("dovecot.log", "stdout.log"):
            path = self.root / "log" / name
            if path.exists():
                parts.append(path.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

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
        template = (_CONF_24 if _version(self.binary) >= (2, 4) else _CONF_23) + _SERVICES
        root_run = os.geteuid() == 0
        me, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
        privileges = "" if root_run else (
            f"default_login_user = {me}\ndefault_internal_user = {me}\ndefault_internal_group = {group}")
        chroot = "" if root_run else "chroot ="
        return template.format(
            instance=f"bc-test-{self.imap_port}", root=self.root, uid=self._mail_uid, gid=self._mail_gid,
            imap_port=self.imap_port, imaps_port=self.imaps_port, privileges=privileges,
            login_chroot=chroot, anvil_chroot=chroot)

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
            except RuntimeError:
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
    with running_dovecot() as server:
        yield server
