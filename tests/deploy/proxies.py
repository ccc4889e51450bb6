"""The example proxy configurations of deploy/, adapted to run in a test: local ports, a
self-signed certificate, a scratch directory. Each adaptation replaces an exact line of the
example, so that an edit of the example that these no longer match fails loudly."""

import datetime
import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
HOST = "catalog.example.org"  # the public name in the examples
STARTUP_SECONDS = 20.0


def find_tool(name: str) -> str | None:
    """``name`` on the PATH, or in the sbin folders a non-root PATH may lack (nginx lives there)."""
    return shutil.which(name) or next(
        (str(path) for folder in ("/usr/sbin", "/sbin") if (path := Path(folder) / name).exists()), None
    )


def replace_exactly(text: str, replacements: dict[str, str]) -> str:
    for old, new in replacements.items():
        assert old in text, f"the example no longer holds {old!r}: update tests/deploy/proxies.py"
        text = text.replace(old, new)
    return text


def self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


def nginx_config(folder: Path, upstream: int, http_port: int, https_port: int) -> Path:
    """The example site inside a wrapper ``nginx.conf`` that keeps every file in ``folder``."""
    cert, key = self_signed(folder)
    site = replace_exactly(
        (DEPLOY / "nginx" / "opencat.conf").read_text(),
        {
            "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
            "    listen 80;\n": f"    listen 127.0.0.1:{http_port};\n",
            "    listen [::]:80;\n": "",
            "    listen 443 ssl http2;\n": f"    listen 127.0.0.1:{https_port} ssl http2;\n",
            "    listen [::]:443 ssl http2;\n": "",
            f"/etc/letsencrypt/live/{HOST}/fullchain.pem": str(cert),
            f"/etc/letsencrypt/live/{HOST}/privkey.pem": str(key),
        },
    )
    (folder / "opencat.conf").write_text(site)
    temp = folder / "temp"
    temp.mkdir()
    temp.chmod(0o777)  # run as root, nginx's workers are nobody
    wrapper = folder / "nginx.conf"
    wrapper.write_text(
        f"daemon off;\npid {folder}/nginx.pid;\nerror_log {folder}/error.log;\n"
        "events { worker_connections 256; }\n"
        "http {\n"
        "    access_log off;\n"
        + "".join(f"    {kind}_temp_path {temp}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
        + f"    include {folder}/opencat.conf;\n"
        "}\n"
    )  # fmt: skip
    return wrapper


def caddy_config(folder: Path, upstream: int, http_port: int) -> Path:
    """The example Caddyfile on plain HTTP at ``http_port`` (no certificate to fetch), no admin API."""
    text = replace_exactly(
        (DEPLOY / "caddy" / "Caddyfile").read_text(),
        {
            "{\n\tservers {": "{\n\tadmin off\n\tservers {",
            f"\n{HOST} {{\n": f"\nhttp://{HOST}:{http_port} {{\n",
            "reverse_proxy 127.0.0.1:8000 {": f"reverse_proxy 127.0.0.1:{upstream} {{",
        },
    )
    path = folder / "Caddyfile"
    path.write_text(text)
    return path


def caddy_env(folder: Path) -> dict[str, str]:
    """Caddy keeps its state under $HOME (XDG folders): keep it in the test's folder."""
    return {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder), "XDG_CONFIG_HOME": str(folder)}


class Process:
    """A proxy in a session of its own, up once its port accepts connections."""

    def __init__(self, command: list[str], port: int, log: Path, env: dict[str, str] | None = None) -> None:
        self.log = log
        self._out = log.open("wb")
        self.process = subprocess.Popen(
            command, stdout=self._out, stderr=subprocess.STDOUT, env=env, start_new_session=True
        )
        deadline = time.monotonic() + STARTUP_SECONDS
        while not _accepts(port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"{command[0]} did not start:\n{self.output()}")
            time.sleep(0.05)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._out.close()


def _accepts(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False
