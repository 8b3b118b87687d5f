"""A throwaway self-signed certificate for 127.0.0.1, made without dependencies.

kubectl sends a bearer token only over TLS (client-go sets the token on TLS
connections only: kubernetes/kubectl#744), so the server speaks HTTPS with a
certificate made fresh at each start and trusted through the kubeconfig's
`certificate-authority-data`. Everything here is the standard library: an RSA
key (Miller-Rabin primes), an X.509 v3 certificate in DER (SAN IP 127.0.0.1
and DNS localhost, CA:true so it is its own root), signed with
sha256WithRSAEncryption (PKCS #1 v1.5).
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import ssl
import tempfile
import time
from dataclasses import dataclass

_SMALL_PRIMES = [p for p in range(3, 2000) if all(p % d for d in range(2, int(p ** 0.5) + 1))]


def _probably_prime(n: int, rounds: int = 32) -> bool:
    for p in _SMALL_PRIMES:
        if n % p == 0:
            return n == p
    d, r = n - 1, 0
    while d % 2 == 0:
        d //= 2
        r += 1
    for _ in range(rounds):
        a = secrets.randbelow(n - 3) + 2
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(r - 1):
            x = pow(x, 2, n)
            if x == n - 1:
                break
        else:
            return False
    return True


def _prime(bits: int, e: int) -> int:
    while True:
        n = secrets.randbits(bits) | (3 << (bits - 2)) | 1
        if (n - 1) % e and _probably_prime(n):
            return n


# ---- DER ---------------------------------------------------------------------------


def _len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(raw)]) + raw


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _len(len(content)) + content


def _int(n: int) -> bytes:
    raw = n.to_bytes(n.bit_length() // 8 + 1, "big")
    return _tlv(0x02, raw)


def _seq(*items: bytes) -> bytes:
    return _tlv(0x30, b"".join(items))


def _oid(dotted: str) -> bytes:
    parts = [int(p) for p in dotted.split(".")]
    out = bytes([40 * parts[0] + parts[1]])
    for p in parts[2:]:
        chunk = [p & 0x7F]
        p >>= 7
        while p:
            chunk.append(0x80 | (p & 0x7F))
            p >>= 7
        out += bytes(reversed(chunk))
    return _tlv(0x06, out)


_NULL = b"\x05\x00"
_RSA = _seq(_oid("1.2.840.113549.1.1.1"), _NULL)
_SHA256_RSA = _seq(_oid("1.2.840.113549.1.1.11"), _NULL)
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")


def _name(cn: str) -> bytes:
    return _seq(_tlv(0x31, _seq(_oid("2.5.4.3"), _tlv(0x0C, cn.encode()))))


def _time(t: float) -> bytes:
    return _tlv(0x17, time.strftime("%y%m%d%H%M%SZ", time.gmtime(t)).encode())


def _pem(label: str, der: bytes) -> str:
    b64 = base64.b64encode(der).decode()
    lines = [b64[i:i + 64] for i in range(0, len(b64), 64)]
    return f"-----BEGIN {label}-----\n" + "\n".join(lines) + f"\n-----END {label}-----\n"


@dataclass(frozen=True)
class Certificate:
    cert_pem: str
    key_pem: str

    @property
    def ca_data(self) -> str:
        """certificate-authority-data for a kubeconfig."""
        return base64.b64encode(self.cert_pem.encode()).decode()

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.set_alpn_protocols(["http/1.1"])
        with tempfile.TemporaryDirectory(prefix="kubequest-tls-") as tmp:
            cert, key = os.path.join(tmp, "cert.pem"), os.path.join(tmp, "key.pem")
            with open(os.open(key, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
                f.write(self.key_pem)
            with open(cert, "w") as f:
                f.write(self.cert_pem)
            ctx.load_cert_chain(cert, key)
        return ctx


def self_signed(common_name: str = "kubequest", *, bits: int = 2048, days: int = 365) -> Certificate:
    e = 65537
    while True:
        p, q = _prime(bits // 2, e), _prime(bits // 2, e)
        n = p * q
        if p != q and n.bit_length() == bits:
            break
    d = pow(e, -1, (p - 1) * (q - 1))
    spki = _seq(_RSA, _tlv(0x03, b"\x00" + _seq(_int(n), _int(e))))
    san = _seq(_tlv(0x87, bytes([127, 0, 0, 1])), _tlv(0x82, b"localhost"))
    extensions = _tlv(0xA3, _seq(
        _seq(_oid("2.5.29.19"), _tlv(0x01, b"\xff"), _tlv(0x04, _seq(_tlv(0x01, b"\xff")))),
        _seq(_oid("2.5.29.15"), _tlv(0x01, b"\xff"), _tlv(0x04, _tlv(0x03, b"\x02\xa4"))),
        _seq(_oid("2.5.29.17"), _tlv(0x04, san)),
    ))
    now = time.time()
    tbs = _seq(
        _tlv(0xA0, _int(2)),
        _int(secrets.randbits(63) | 1),
        _SHA256_RSA,
        _name(common_name),
        _seq(_time(now - 3600), _time(now + days * 86400)),
        _name(common_name),
        spki,
        extensions,
    )
    digest = _SHA256_DIGEST_INFO + hashlib.sha256(tbs).digest()
    k = (n.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(digest)) + b"\x00" + digest
    signature = pow(int.from_bytes(em, "big"), d, n).to_bytes(k, "big")
    cert = _seq(tbs, _SHA256_RSA, _tlv(0x03, b"\x00" + signature))
    key = _seq(_int(0), _int(n), _int(e), _int(d), _int(p), _int(q), _int(d % (p - 1)), _int(d % (q - 1)),
               _int(pow(q, -1, p)))
    return Certificate(_pem("CERTIFICATE", cert), _pem("RSA PRIVATE KEY", key))
