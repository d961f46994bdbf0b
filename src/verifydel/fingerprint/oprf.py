"""RFC 9497 OPRF(ristretto255, SHA-512), mode 0 (base): the attestation tier's blind evaluation.

The regulator holds a secret scalar ``k``; a broker learns ``F_k(x)`` for its own
values ``x`` only by asking, and the regulator never sees ``x``:

    broker:    blind r, B = r * HashToGroup(x)          (Blind)
    regulator: Z = k * B                                (BlindEvaluate)
    broker:    N = r^-1 * Z = k * HashToGroup(x);
               y = SHA-512(len(x) || x || len(N) || N || "Finalize")   (Finalize)

Written from the RFC's pseudocode (sections 3.2-3.3, 4.1, with hash_to_ristretto255 of
RFC 9380 and expand_message_xmd) on libsodium's ristretto255 through ``rbcl``, and pinned
by the RFC's Appendix A test vectors (fingerprints/vectors/oprf-ristretto255-sha512.json).

The per-element cost is one scalar multiplication (about 50 microseconds on one core);
the batch functions spread it over threads, since libsodium's calls release the GIL.
Blind inverses are computed for a whole batch with one inversion (Montgomery's trick).
"""

from __future__ import annotations

import hashlib
import os
import secrets
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Final, TypeVar

import rbcl

from verifydel.errors import VerifydelError


def _forget_library_copy() -> None:
    """rbcl writes its bundled libsodium to a temporary file on import and leaves it there:
    remove it once loaded (the mapping stays valid), so that no run leaves 2.7 MB behind."""
    loader = sys.modules.get("rbcl._sodium")
    path = getattr(loader, "lib_path", None)
    if isinstance(path, str):
        try:
            os.unlink(path)
        except OSError:  # already gone, or a system that keeps loaded libraries locked
            pass


_forget_library_copy()

T = TypeVar("T")
R = TypeVar("R")

MODE_OPRF: Final = 0x00
IDENTIFIER: Final = b"ristretto255-SHA512"
SUITE: Final = "ristretto255-SHA512"
ELEMENT_BYTES: Final = 32  # Ne
SCALAR_BYTES: Final = 32  # Ns
OUTPUT_BYTES: Final = 64  # Nh
#: The order of the ristretto255 group.
ORDER: Final = 2**252 + 27742317777372353535851937790883648493
#: Inputs are at most this long (their length is written in 2 bytes).
MAX_INPUT_BYTES: Final = 0xFFFF
#: Elements per task handed to a worker thread.
CHUNK: Final = 2048


class OprfError(VerifydelError):
    """An OPRF input, element or scalar is not usable (RFC 9497 InvalidInputError and the like)."""


def context_string(mode: int = MODE_OPRF) -> bytes:
    """``"OPRFV1-" || I2OSP(mode, 1) || "-" || identifier`` (RFC 9497 section 3.1)."""
    return b"OPRFV1-" + bytes([mode]) + b"-" + IDENTIFIER


CONTEXT: Final = context_string(MODE_OPRF)
_HASH_TO_GROUP_DST: Final = b"HashToGroup-" + CONTEXT
_DERIVE_KEY_PAIR_DST: Final = b"DeriveKeyPair" + CONTEXT
_FINALIZE: Final = b"Finalize"
_IDENTITY: Final = bytes(ELEMENT_BYTES)


def _i2osp(value: int, length: int) -> bytes:
    return value.to_bytes(length, "big")


def expand_message_xmd(msg: bytes, dst: bytes, length: int) -> bytes:
    """RFC 9380 section 5.3.1 with SHA-512 (b_in_bytes 64, s_in_bytes 128)."""
    if len(dst) > 255:
        raise OprfError("domain separation tag longer than 255 bytes")
    ell = -(-length // 64)
    if ell > 255 or length > 65535:
        raise OprfError("expand_message_xmd: output too long")
    dst_prime = dst + _i2osp(len(dst), 1)
    b0 = hashlib.sha512(bytes(128) + msg + _i2osp(length, 2) + b"\x00" + dst_prime).digest()
    out = [hashlib.sha512(b0 + b"\x01" + dst_prime).digest()]
    for i in range(2, ell + 1):
        prev = bytes(a ^ b for a, b in zip(b0, out[-1], strict=True))
        out.append(hashlib.sha512(prev + _i2osp(i, 1) + dst_prime).digest())
    return b"".join(out)[:length]


class _Expander:
    """``expand_message_xmd(msg, dst, 64)`` for many messages: the 128 zero bytes hashed once."""

    def __init__(self, dst: bytes) -> None:
        self.dst_prime = dst + _i2osp(len(dst), 1)
        self.tail = _i2osp(64, 2) + b"\x00" + self.dst_prime
        self.suffix = b"\x01" + self.dst_prime
        self.start = hashlib.sha512(bytes(128))

    def __call__(self, msg: bytes) -> bytes:
        h = self.start.copy()
        h.update(msg)
        h.update(self.tail)
        return hashlib.sha512(h.digest() + self.suffix).digest()


def hash_to_group(msg: bytes, context: bytes = CONTEXT) -> bytes:
    """HashToGroup: hash_to_ristretto255 (RFC 9380) with DST ``"HashToGroup-" || contextString``."""
    point = rbcl.crypto_core_ristretto255_from_hash(expand_message_xmd(msg, b"HashToGroup-" + context, 64))
    if point == bytes(ELEMENT_BYTES):
        raise OprfError("an input hashed to the identity element")  # probability 2^-252
    return point


def hash_to_scalar(msg: bytes, dst: bytes) -> bytes:
    """HashToScalar: 64 bytes of expand_message_xmd, read little-endian, reduced mod the order."""
    return rbcl.crypto_core_ristretto255_scalar_reduce(expand_message_xmd(msg, dst, 64))


def derive_key_pair(seed: bytes, info: bytes, mode: int = MODE_OPRF) -> tuple[bytes, bytes]:
    """DeriveKeyPair (RFC 9497 section 3.2.1): (skS, pkS) from a 32-byte seed and an info string."""
    if len(seed) != 32:
        raise OprfError("the key seed must be 32 bytes")
    if len(info) > 0xFFFF:
        raise OprfError("key info too long")
    derive_input = seed + _i2osp(len(info), 2) + info
    dst = b"DeriveKeyPair" + context_string(mode)
    for counter in range(256):
        sk = hash_to_scalar(derive_input + _i2osp(counter, 1), dst)
        if sk != bytes(SCALAR_BYTES):
            return sk, rbcl.crypto_scalarmult_ristretto255_base(sk)
    raise OprfError("DeriveKeyPairError")  # never in practice


def random_scalar() -> bytes:
    """A uniformly random non-zero scalar (RandomScalar)."""
    while True:
        s = rbcl.crypto_core_ristretto255_scalar_reduce(secrets.token_bytes(64))
        if s != bytes(SCALAR_BYTES):
            return s


def _random_scalars(n: int) -> list[bytes]:
    """``n`` RandomScalar values, the randomness drawn in one call."""
    reduce = rbcl.crypto_core_ristretto255_scalar_reduce
    pool = secrets.token_bytes(64 * n)
    out = [reduce(pool[64 * i : 64 * i + 64]) for i in range(n)]
    zero = bytes(SCALAR_BYTES)
    return [s if s != zero else random_scalar() for s in out]


def _check_input(value: bytes) -> None:
    if len(value) > MAX_INPUT_BYTES:
        raise OprfError(f"an OPRF input is longer than {MAX_INPUT_BYTES} bytes")


def blind(value: bytes, blind_scalar: bytes | None = None) -> tuple[bytes, bytes]:
    """Blind: (blind, blindedElement). ``blind_scalar`` only for known-answer tests."""
    _check_input(value)
    r = random_scalar() if blind_scalar is None else blind_scalar
    return r, scalar_mult(r, hash_to_group(value))


def scalar_mult(scalar: bytes, element: bytes) -> bytes:
    """``scalar * element``; the element must be a valid, non-identity ristretto255 encoding
    and the product not the identity."""
    try:
        return rbcl.crypto_scalarmult_ristretto255(scalar, element)
    except (RuntimeError, ValueError, TypeError):
        raise OprfError("an element is not a valid ristretto255 point, or a product is the identity") from None


def blind_evaluate(sk: bytes, blinded: bytes) -> bytes:
    """BlindEvaluate: ``skS * blindedElement``."""
    return scalar_mult(sk, blinded)


def finalize(value: bytes, blind_scalar: bytes, evaluated: bytes) -> bytes:
    """Finalize: unblind and hash (the 64-byte OPRF output)."""
    return _finalize_hash(value, scalar_mult(rbcl.crypto_core_ristretto255_scalar_invert(blind_scalar), evaluated))


def _finalize_hash(value: bytes, unblinded: bytes) -> bytes:
    return hashlib.sha512(
        _i2osp(len(value), 2) + value + _i2osp(len(unblinded), 2) + unblinded + _FINALIZE
    ).digest()


def evaluate(sk: bytes, value: bytes) -> bytes:
    """Evaluate (server side, no blinding): what Finalize gives the client for ``value``."""
    _check_input(value)
    return _finalize_hash(value, scalar_mult(sk, hash_to_group(value)))


def is_valid_element(element: bytes) -> bool:
    """A canonical encoding of a ristretto255 point other than the identity (libsodium's
    check accepts the identity, whose only canonical encoding is 32 zero bytes)."""
    return (
        len(element) == ELEMENT_BYTES
        and element != _IDENTITY
        and rbcl.crypto_core_ristretto255_is_valid_point(element)
    )


# --- batches ---------------------------------------------------------------------------------
def _chunked(fn: Callable[[Sequence[T]], list[R]], items: Sequence[T], workers: int) -> list[R]:
    """``fn`` over chunks of ``items`` on ``workers`` threads, results concatenated in order."""
    chunks = [items[i : i + CHUNK] for i in range(0, len(items), CHUNK)]
    if workers <= 1 or len(chunks) <= 1:
        return [r for c in chunks for r in fn(c)]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="verifydel-oprf") as pool:
        return [r for part in pool.map(fn, chunks) for r in part]


def _workers(workers: int | None) -> int:
    return workers if workers is not None else (os.cpu_count() or 1)


def invert_all(scalars: Sequence[bytes]) -> list[bytes]:
    """Every scalar's inverse, with one inversion for the whole list (Montgomery's trick)."""
    if not scalars:
        return []
    mul = rbcl.crypto_core_ristretto255_scalar_mul
    prefix = [scalars[0]]
    for s in scalars[1:]:
        prefix.append(mul(prefix[-1], s))
    inv = rbcl.crypto_core_ristretto255_scalar_invert(prefix[-1])
    out: list[bytes] = [b""] * len(scalars)
    for i in range(len(scalars) - 1, 0, -1):
        out[i] = mul(inv, prefix[i - 1])
        inv = mul(inv, scalars[i])
    out[0] = inv
    return out


def hash_to_group_all(values: Sequence[bytes], workers: int | None = None) -> list[bytes]:
    """HashToGroup of every value (inputs checked for length)."""
    expand = _Expander(_HASH_TO_GROUP_DST)
    from_hash = rbcl.crypto_core_ristretto255_from_hash
    identity = bytes(ELEMENT_BYTES)

    def run(chunk: Sequence[bytes]) -> list[bytes]:
        out = []
        for v in chunk:
            _check_input(v)
            p = from_hash(expand(v))
            if p == identity:
                raise OprfError("an input hashed to the identity element")
            out.append(p)
        return out

    return _chunked(run, values, _workers(workers))


def blind_all(values: Sequence[bytes], workers: int | None = None) -> tuple[list[bytes], list[bytes]]:
    """Blind every value: (inverses of the blinds, blinded elements). A fresh random blind each."""
    points = hash_to_group_all(values, workers)

    def run(chunk: Sequence[bytes]) -> list[tuple[bytes, bytes]]:
        blinds = _random_scalars(len(chunk))
        blinded = [rbcl.crypto_scalarmult_ristretto255(r, p) for r, p in zip(blinds, chunk, strict=True)]
        return list(zip(invert_all(blinds), blinded, strict=True))

    pairs = _chunked(run, points, _workers(workers))
    return [p[0] for p in pairs], [p[1] for p in pairs]


def evaluate_all(sk: bytes, elements: Sequence[bytes], workers: int | None = None) -> list[bytes]:
    """BlindEvaluate of every element. One that is not a canonical encoding of a valid
    point, or is the identity, raises OprfError (libsodium's scalar multiplication refuses
    both: k·P is the identity only for P the identity)."""

    def run(chunk: Sequence[bytes]) -> list[bytes]:
        return [scalar_mult(sk, e) for e in chunk]

    return _chunked(run, elements, _workers(workers))


def finalize_all(
    values: Sequence[bytes], blind_inverses: Sequence[bytes], evaluated: Sequence[bytes], workers: int | None = None
) -> list[bytes]:
    """Finalize every value, given the inverses of its blind (as ``blind_all`` returns them).

    An evaluated element that is not a valid non-identity encoding raises OprfError (the
    scalar multiplication refuses it), before any output is returned."""
    if not len(values) == len(blind_inverses) == len(evaluated):
        raise OprfError("values, blinds and evaluated elements differ in number")
    triples = list(zip(values, blind_inverses, evaluated, strict=True))

    def run(chunk: Sequence[tuple[bytes, bytes, bytes]]) -> list[bytes]:
        return [_finalize_hash(v, scalar_mult(inv, z)) for v, inv, z in chunk]

    return _chunked(run, triples, _workers(workers))


def evaluate_values(sk: bytes, values: Sequence[bytes], workers: int | None = None) -> list[bytes]:
    """Evaluate (server side) every value: the outputs the broker's Finalize gives."""
    points = hash_to_group_all(values, workers)
    pairs = list(zip(values, points, strict=True))

    def run(chunk: Sequence[tuple[bytes, bytes]]) -> list[bytes]:
        return [_finalize_hash(v, scalar_mult(sk, p)) for v, p in chunk]

    return _chunked(run, pairs, _workers(workers))


__all__ = [
    "CONTEXT",
    "ELEMENT_BYTES",
    "MODE_OPRF",
    "OUTPUT_BYTES",
    "SUITE",
    "OprfError",
    "blind",
    "blind_all",
    "blind_evaluate",
    "derive_key_pair",
    "evaluate",
    "evaluate_all",
    "evaluate_values",
    "expand_message_xmd",
    "finalize",
    "finalize_all",
    "hash_to_group",
    "hash_to_group_all",
    "hash_to_scalar",
    "invert_all",
    "is_valid_element",
    "random_scalar",
]
