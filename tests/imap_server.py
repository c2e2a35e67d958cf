"""A real Dovecot IMAP server on loopback (Debian's dovecot-imapd), started per test.

Implicit TLS with a self-signed certificate made here, a temporary Maildir mail_location, one
passwd-file user (password) who can also sign in with an XOAUTH2 token (a JWT Dovecot checks locally).
Without dovecot the tests skip with the reason; with COMPLAINTFLOW_REQUIRE_IMAP=1 (CI) they fail.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import json
import os
import pwd
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from imapclient import IMAPClient

from .mailbox import free_port

USER, PASSWORD = "sikayet", "posta-kutusu-parolasi"
TOKEN_KEY = b"complaintflow-test-hmac-key-0123456789"
# What Dovecot 2.3 announces after sign-in, less MOVE (for the COPY + \Deleted + UID EXPUNGE path).
WITHOUT_MOVE = ("IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE SORT SORT=DISPLAY THREAD=REFERENCES "
                "THREAD=REFS THREAD=ORDEREDSUBJECT MULTIAPPEND URL-PARTIAL CATENATE UNSELECT CHILDREN NAMESPACE "
                "UIDPLUS LIST-EXTENDED I18NLEVEL=1 CONDSTORE QRESYNC ESEARCH ESORT SEARCHRES WITHIN CONTEXT=SEARCH "
                "LIST-STATUS BINARY SNIPPET=FUZZY PREVIEW=FUZZY PREVIEW STATUS=SIZE SAVEDATE LITERAL+ NOTIFY")


def _dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next((p for p in ("/usr/sbin/dovecot",) if os.access(p, os.X_OK)), None)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def xoauth2_token(user: str = USER, *, key: bytes = TOKEN_KEY, lifetime: int = 600) -> str:
    """A JWT (HS256) that the server's local validation accepts for `user`."""
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = _b64url(json.dumps({"sub": user, "exp": int(time.time()) + lifetime}).encode())
    signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64url(signature)}"


class Dovecot:
    """One server with its own configuration, certificate and mail store; stop/start keep the port."""

    def __init__(self, root: Path, cert: Path, key: Path, *, capability: str | None = None):
        self.root, self.cert, self.key = root, cert, key
        self.port = free_port()
        self.capability = capability
        self.process: subprocess.Popen | None = None
        self.binary = _dovecot_binary()
        self._write_config()

    def _write_config(self) -> None:
        root = self.root
        for sub in ("run", "mail", "keys/default/HS256"):
            (root / sub).mkdir(parents=True, exist_ok=True)
        (root / "keys/default/HS256/default").write_text(base64.b64encode(TOKEN_KEY).decode())
        (root / "users").write_text(f"{USER}:{{PLAIN}}{PASSWORD}\n")
        (root / "oauth2.conf.ext").write_text(
            f"introspection_mode = local\nlocal_validation_key_dict = fs:posix:prefix={root}/keys/\n"
            "username_attribute = sub\n")
        if os.geteuid() == 0:
            uid, gid = pwd.getpwnam("nobody").pw_uid, pwd.getpwnam("nobody").pw_gid
            os.chown(root / "mail", uid, gid)
            users = ""
        else:
            uid, gid, me = os.getuid(), os.getgid(), pwd.getpwuid(os.getuid()).pw_name
            users = f"default_login_user = {me}\ndefault_internal_user = {me}\n"
        capability = f"imap_capability = {self.capability}\n" if self.capability else ""
        (root / "dovecot.conf").write_text(f"""\
base_dir = {root}/run
state_dir = {root}/run
log_path = {root}/dovecot.log
{users}protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{self.cert}
ssl_key = <{self.key}
auth_mechanisms = plain login xoauth2
auth_failure_delay = 0
shutdown_clients = yes
login_trusted_networks = 127.0.0.0/8
mail_location = maildir:{root}/mail/%u
{capability}passdb {{
  driver = oauth2
  mechanisms = xoauth2
  args = {root}/oauth2.conf.ext
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
  args = scheme=PLAIN {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u allow_all_users=yes
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    port = {self.port}
    ssl = yes
  }}
}}
""")

    @property
    def config_file(self) -> Path:
        return self.root / "dovecot.conf"

    def start(self) -> None:
        self.process = subprocess.Popen([self.binary, "-F", "-c", str(self.config_file)],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited: {self.process.stderr.read().decode(errors='replace')}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not listen on {self.port}")

    def stop(self) -> None:
        """End the master and every process it started (as a crash would: open connections drop at once)."""
        if self.process is not None and self.process.poll() is None:
            children = subprocess.run(["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True).stdout
            self.process.kill()
            self.process.wait(timeout=15)
            for pid in map(int, children.split()):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def kick(self) -> None:
        """Cut every open IMAP connection of the user, the server staying up."""
        subprocess.run(["doveadm", "-c", str(self.config_file), "kick", USER], check=True, capture_output=True)

    def client(self) -> IMAPClient:
        """The test's own view of the mailbox (append, look into folders)."""
        client = IMAPClient("127.0.0.1", port=self.port, ssl_context=ssl.create_default_context(cafile=self.cert),
                            timeout=10)
        client.login(USER, PASSWORD)
        return client

    def deliver(self, *messages: bytes, folder: str = "INBOX") -> None:
        with self.client() as client:
            for raw in messages:
                client.append(folder, raw)

    def messages(self, folder: str) -> list[bytes]:
        """Every message left in `folder` (not flagged \\Deleted), oldest first; [] when there is no such folder."""
        with self.client() as client:
            if not client.folder_exists(folder):
                return []
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search(["NOT", "DELETED"]))
            fetched = client.fetch(uids, ["BODY.PEEK[]"]) if uids else {}
            return [fetched[uid][b"BODY[]"] for uid in uids]

    def count(self, folder: str = "INBOX") -> int:
        """Messages in `folder`, asked of doveadm (no sign-in: unaffected by the penalty after a failed one)."""
        done = subprocess.run(["doveadm", "-c", str(self.config_file), "mailbox", "status", "-u", USER, "messages",
                               folder], check=True, capture_output=True, text=True)
        return int(done.stdout.split("=")[1])

    def settings(self) -> dict:
        """App settings that read this server's INBOX with the password, trusting its certificate."""
        return {"IMAP_HOST": "127.0.0.1", "IMAP_PORT": self.port, "IMAP_USER": USER, "IMAP_PASSWORD": PASSWORD,
                "IMAP_OAUTH2_COMMAND": None, "IMAP_CA_FILE": str(self.cert), "IMAP_TIMEOUT": 10,
                "IMAP_FOLDER": "INBOX", "IMAP_PROCESSED_FOLDER": "Complaintflow-Processed",
                "IMAP_QUARANTINE_FOLDER": "Complaintflow-Quarantine", "IMAP_BATCH": 100}


def _require_dovecot() -> None:
    missing = [name for name, found in (("dovecot (dovecot-imapd)", _dovecot_binary()),
                                        ("doveadm", shutil.which("doveadm")), ("openssl", shutil.which("openssl")))
               if not found]
    if missing:
        message = f"IMAP tests need {', '.join(missing)} (Debian: apt-get install dovecot-imapd openssl)"
        if os.environ.get("COMPLAINTFLOW_REQUIRE_IMAP") == "1":
            pytest.fail(message + " (required: COMPLAINTFLOW_REQUIRE_IMAP=1)")
        pytest.skip(message)


@pytest.fixture(scope="session")
def imap_certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1 (its own CA), readable by Dovecot's unprivileged processes."""
    _require_dovecot()
    folder = tmp_path_factory.mktemp("imap-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "3650", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"], check=True, capture_output=True)
    return cert, key


@contextmanager
def _server(imap_certificate, **options):
    cert, key = imap_certificate
    # Not under pytest's 0700 temporary folder: Dovecot's mail processes run as an unprivileged user.
    root = Path(tempfile.mkdtemp(prefix="complaintflow-dovecot-"))
    root.chmod(0o755)
    server = Dovecot(root, cert, key, **options)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def imap(app, imap_certificate):
    """A running Dovecot, and the app set to poll its INBOX."""
    with _server(imap_certificate) as server:
        app.config.update(server.settings())
        yield server


@pytest.fixture
def imap_without_move(app, imap_certificate):
    """The same server announcing no MOVE capability."""
    with _server(imap_certificate, capability=WITHOUT_MOVE) as server:
        app.config.update(server.settings())
        yield server
