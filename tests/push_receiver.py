"""A local HTTPS Web Push receiver for tests: it plays the browser's push service.

It serves https://127.0.0.1:<port>/push/<id> with a self-signed certificate made at test time
(trusted by pointing REQUESTS_CA_BUNDLE at it), and for every push it receives it

- checks the VAPID `Authorization: vapid t=<JWT>, k=<key>` header: the ES256 signature verifies
  with k, `aud` is this receiver's origin, `exp` is in the future and at most 24 hours ahead,
  `sub` is present (RFC 8292);
- checks `TTL` is a positive number and the body is `Content-Encoding: aes128gcm`;
- decrypts the body with the subscription's private key and auth secret (RFC 8291), as the
  browser would, and parses the JSON payload;
- records all of it, and answers 201, or whatever the test queued (410, 429 + Retry-After, ...).

Problems are recorded and answered with 400, so a test sees them in `received[i].problems`.

Use the `receiver` fixture: `from tests.push_receiver import receiver  # noqa: F401`.
"""
from __future__ import annotations

import base64
import ipaddress
import json
import os
import ssl
import threading
import time
import uuid
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import http_ece
import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

MAX_VAPID_LIFETIME = 24 * 60 * 60


def b64url_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@dataclass
class Received:
    sub_id: str
    path: str
    headers: dict
    body: bytes
    answered: int = 0
    payload: dict | None = None
    plaintext: str = ""
    claims: dict = field(default_factory=dict)
    vapid_key: str = ""
    problems: list[str] = field(default_factory=list)

    @property
    def ttl(self) -> int:
        return int(self.headers.get("ttl", "0"))

    @property
    def urgency(self) -> str | None:
        return self.headers.get("urgency")


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and localhost) that is its own CA. Returns (cert, key) paths."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.now(timezone.utc)
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=True, content_commitment=False, key_encipherment=False, data_encipherment=False,
                          key_agreement=False, key_cert_sign=True, crl_sign=False, encipher_only=False, decipher_only=False),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "push-receiver.pem", directory / "push-receiver.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    return cert_path, key_path


def verify_vapid(header: str | None, origin: str) -> tuple[dict, str, list[str]]:
    """(claims, k, problems) for an `Authorization: vapid t=..., k=...` header."""
    problems: list[str] = []
    if not header or not header.lower().startswith("vapid "):
        return {}, "", ["Authorization is not a vapid header"]
    params = {}
    for part in header[len("vapid "):].split(","):
        name, _, value = part.strip().partition("=")
        params[name.strip()] = value.strip()
    token, k = params.get("t", ""), params.get("k", "")
    if not token or not k:
        return {}, k, ["vapid header lacks t or k"]
    try:
        head_b64, claims_b64, sig_b64 = token.split(".")
        head = json.loads(b64url_decode(head_b64))
        claims = json.loads(b64url_decode(claims_b64))
        signature = b64url_decode(sig_b64)
        public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64url_decode(k))
    except (ValueError, json.JSONDecodeError) as exc:
        return {}, k, [f"malformed VAPID token: {exc}"]
    if head.get("alg") != "ES256":
        problems.append(f"JWT alg is {head.get('alg')!r}, not ES256")
    if len(signature) != 64:
        problems.append("ES256 signature is not 64 bytes")
    else:
        der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
        try:
            public.verify(der, f"{head_b64}.{claims_b64}".encode(), ec.ECDSA(hashes.SHA256()))
        except InvalidSignature:
            problems.append("VAPID signature does not verify with k")
    if claims.get("aud") != origin:
        problems.append(f"aud is {claims.get('aud')!r}, not {origin!r}")
    now = time.time()
    exp = claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        problems.append(f"exp {exp!r} is not in the future")
    elif exp > now + MAX_VAPID_LIFETIME + 5:
        problems.append(f"exp is more than 24 hours ahead ({exp - now:.0f} s)")
    if not claims.get("sub"):
        problems.append("sub is missing")
    return claims, k, problems


class PushReceiver:
    def __init__(self, directory: Path):
        self.cert_path, key_path = self_signed_certificate(directory)
        self.received: list[Received] = []
        self._keys: dict[str, tuple[ec.EllipticCurvePrivateKey, bytes]] = {}
        self._answers: dict[str, deque] = defaultdict(deque)
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as push services do: a sender reuses its connection

            def do_POST(self):  # noqa: N802 - http.server's name
                receiver._handle(self)

            def log_message(self, *_args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(self.cert_path), str(key_path))
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.origin = f"https://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()

    @property
    def ca_file(self) -> str:
        return str(self.cert_path)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)

    # ---- the browser's side ----

    def subscription(self) -> dict:
        """A fresh PushSubscription JSON, as `subscription.toJSON()` gives it in a browser: the
        receiver keeps the private key and auth secret to decrypt what arrives for it."""
        sub_id = uuid.uuid4().hex
        key = ec.generate_private_key(ec.SECP256R1())
        auth = os.urandom(16)
        self._keys[sub_id] = (key, auth)
        point = key.public_key().public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
        return {"endpoint": f"{self.origin}/push/{sub_id}", "expirationTime": None, "keys": {"p256dh": b64url(point), "auth": b64url(auth)}}

    def answer(self, subscription: dict, status: int, times: int = 1, **headers) -> None:
        """Answer the next `times` pushes to `subscription` with `status` (and headers, e.g.
        Retry_After="2" → Retry-After: 2). Afterwards, 201 again."""
        sub_id = subscription["endpoint"].rsplit("/", 1)[1]
        hdrs = {name.replace("_", "-"): value for name, value in headers.items()}
        with self._lock:
            for _ in range(times):
                self._answers[sub_id].append((status, hdrs))

    def to(self, subscription: dict) -> list[Received]:
        sub_id = subscription["endpoint"].rsplit("/", 1)[1]
        with self._lock:
            return [r for r in self.received if r.sub_id == sub_id]

    # ---- the push service's side ----

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        parts = handler.path.strip("/").split("/")
        sub_id = parts[1] if len(parts) == 2 and parts[0] == "push" else ""
        record = Received(sub_id, handler.path, {k.lower(): v for k, v in handler.headers.items()}, body)
        if sub_id not in self._keys:
            record.problems.append("unknown subscription")
        else:
            self._check(record)
        with self._lock:
            queued = self._answers[sub_id].popleft() if self._answers[sub_id] else (201, {})
        status, headers = (400, {}) if record.problems else queued
        record.answered = status
        with self._lock:
            self.received.append(record)
        reply = ("; ".join(record.problems) or "").encode()
        handler.send_response(status)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(reply)))
        handler.end_headers()
        handler.wfile.write(reply)

    def _check(self, record: Received) -> None:
        try:
            if int(record.headers.get("ttl", "")) <= 0:
                record.problems.append("TTL is not positive")
        except ValueError:
            record.problems.append("TTL header missing or not a number")
        if record.headers.get("content-encoding") != "aes128gcm":
            record.problems.append(f"Content-Encoding is {record.headers.get('content-encoding')!r}")
        record.claims, record.vapid_key, problems = verify_vapid(record.headers.get("authorization"), self.origin)
        record.problems += problems
        key, auth = self._keys[record.sub_id]
        try:
            record.plaintext = http_ece.decrypt(record.body, private_key=key, auth_secret=auth, version="aes128gcm").decode()
            record.payload = json.loads(record.plaintext)
        except Exception as exc:  # noqa: BLE001 - any failure to decrypt is a finding
            record.problems.append(f"could not decrypt: {exc!r}")


@pytest.fixture
def receiver(tmp_path, monkeypatch):
    """A running PushReceiver whose certificate requests (and so pywebpush) trusts."""
    r = PushReceiver(tmp_path)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", r.ca_file)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    try:
        yield r
    finally:
        r.close()
