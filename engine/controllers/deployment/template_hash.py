"""The pod-template-hash: `ComputeHash` from kubernetes/kubernetes
pkg/controller/controller_utils.go and `SafeEncodeString` from
apimachinery/pkg/util/rand.

Kubernetes feeds FNV-32a with a spew `%#v` dump of the Go PodTemplateSpec
struct (`hashutil.DeepHashObject`, `dump.ForHash` since 1.32), adds
`collisionCount` as 8 bytes (uint32 little-endian, then four zero bytes),
prints the 32-bit sum in decimal and maps each digit through the alphabet
`bcdfghjklmnpqrstvwxz2456789`. KubeQuest keeps every step but the first: the
template is serialised as canonical JSON (sorted keys, no spaces), since the
Go struct dump cannot be reproduced from a dict. Hashes therefore have
Kubernetes' shape (at most 10 characters from 4-9 b c d f) and stability, but
not the values a real cluster would compute for the same template.
"""

from __future__ import annotations

import json
import struct

SAFE_ALPHABET = "bcdfghjklmnpqrstvwxz2456789"  # apimachinery/pkg/util/rand alphanums
_FNV32_OFFSET = 0x811C9DC5
_FNV32_PRIME = 0x01000193


def fnv32a(data: bytes, h: int = _FNV32_OFFSET) -> int:
    """FNV-1a, 32 bits (Go's hash/fnv New32a); pass `h` to continue a running hash."""
    for byte in data:
        h = ((h ^ byte) * _FNV32_PRIME) & 0xFFFFFFFF
    return h


def safe_encode_string(s: str) -> str:
    """rand.SafeEncodeString: each rune r becomes alphanums[r % 27]."""
    return "".join(SAFE_ALPHABET[ord(c) % len(SAFE_ALPHABET)] for c in s)


def compute_hash(template: dict, collision_count: int | None) -> str:
    """controller.ComputeHash over the template (canonical JSON, see the module docstring)."""
    h = fnv32a(json.dumps(template, sort_keys=True, separators=(",", ":"), default=str).encode())
    if collision_count is not None:
        h = fnv32a(struct.pack("<I", collision_count & 0xFFFFFFFF) + b"\x00" * 4, h)
    return safe_encode_string(str(h))
