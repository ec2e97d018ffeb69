"""Real mail servers for the tests and the demo, on free loopback ports in a temporary folder.

`Dovecot` runs Debian's Dovecot (`dovecot-imapd`, `make tools`) as an instance of its own: its own
configuration, a passwd-file with one mailbox, maildirs, IMAPS with a self-signed certificate;
nothing of a system Dovecot is read or touched. `Relay` is an SMTP server (aiosmtpd) that demands
STARTTLS and a login, and keeps what it receives; it may offer delivery status notifications
(RFC 3461), as a relay that reports deliveries does. `trusted` makes Python trust the certificate.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

NOBODY = 65534  # the mailboxes' owner: Dovecot serves no mail as root
DSN_PARAMETERS = ("NOTIFY", "ORCPT", "RET", "ENVID")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for localhost and 127.0.0.1, and its key."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
ssl = required
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
auth_mechanisms = plain
first_valid_uid = 1
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {d}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={uid} home={d}/home/%u
}}
mail_location = maildir:~/Maildir
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {port}
    ssl = yes
  }}
}}
"""


@dataclass
class Dovecot:
    """One mailbox, `user`/`password`, served over IMAPS on `port`; `url` for BAMSOS_EMAIL_IMAP_URL."""

    user: str = "dukcapil@kantor.test"
    password: str = "rahasia-kotak-surat"
    port: int = 0
    folder: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="bamsos-dovecot-")))
    _process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"imaps://{self.user.replace('@', '%40')}:{self.password}@127.0.0.1:{self.port}/INBOX"

    @property
    def cert(self) -> Path:
        return self.folder / "cert.pem"

    def start(self) -> Dovecot:
        if shutil.which("dovecot") is None and not Path("/usr/sbin/dovecot").exists():
            raise RuntimeError("Dovecot is not installed: `make tools` installs dovecot-imapd")
        d = self.folder
        d.chmod(0o755)  # its login processes run as dovenull and must reach base_dir
        for sub in ("run", "state", "home"):
            (d / sub).mkdir()
        os.chown(d / "home", NOBODY, NOBODY)
        certificate(d)
        (d / "passwd").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        self.port = free_port()
        (d / "dovecot.conf").write_text(CONFIG.format(d=d, uid=NOBODY, port=self.port))
        binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self._process = subprocess.Popen([binary, "-F", "-c", str(d / "dovecot.conf")])
        _wait_for_port(self.port, lambda: self._log())
        return self

    def _log(self) -> str:
        log = self.folder / "dovecot.log"
        return log.read_text(errors="replace")[-2000:] if log.exists() else ""

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(10)
            except subprocess.TimeoutExpired:
                self._process.kill()
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _wait_for_port(port: int, log: Any) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port}: {log()}")


class _DsnSMTP(SMTP):
    """aiosmtpd's SMTP, taking RFC 3461's parameters (it refuses unknown ones otherwise)."""

    def _getparams(self, params: Any) -> Any:
        found = super()._getparams(params)
        if found is None:
            return None
        self.dsn_asked = getattr(self, "dsn_asked", []) + [k for k in found if k in DSN_PARAMETERS]
        return {k: v for k, v in found.items() if k not in DSN_PARAMETERS}


@dataclass
class Received:
    sender: str
    recipients: list[str]
    raw: bytes
    dsn_asked: bool


class Relay:
    """An SMTP server demanding STARTTLS and a login (`user`/`password`); `received` holds the mails.
    `reports_delivery`: it offers DSN (RFC 3461), as a relay that reports deliveries does."""

    def __init__(self, cert: Path, key: Path, *, reports_delivery: bool = False) -> None:
        self.user, self.password = "dukcapil@kantor.test", "rahasia-relay"
        self.received: list[Received] = []
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        relay = self

        class Handler:
            async def handle_EHLO(
                self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
            ) -> list[str]:
                session.host_name = hostname
                extra = ["250-DSN"] if reports_delivery else []
                return responses[:-1] + extra + responses[-1:]  # the last line ends the answer

            async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
                raw = envelope.original_content or b""
                asked = bool(getattr(server, "dsn_asked", []))
                relay.received.append(Received(str(envelope.mail_from), list(envelope.rcpt_tos), raw, asked))
                return "250 OK diterima"

        def authenticate(
            server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
        ) -> AuthResult:
            ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
                self.user.encode(),
                self.password.encode(),
            )
            return AuthResult(success=ok)

        class DsnController(Controller):
            def factory(self) -> SMTP:
                return _DsnSMTP(self.handler, **self.SMTP_kwargs)

        self._controller = DsnController(
            Handler(),
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=authenticate,
            auth_required=True,
        )

    @property
    def url(self) -> str:
        return f"smtp://{self.user.replace('@', '%40')}:{self.password}@127.0.0.1:{self.port}"

    def start(self) -> Relay:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> Relay:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()
