"""Merkle trees of RFC 9162 (Certificate Transparency 2.0, section 2.1), for logs whose history
must be provable: the tree head over a list of entries, the inclusion proof of one entry, the
consistency proof between two sizes of the same log, and their verification.

Leaves and nodes are hashed with distinct prefixes (0x00 and 0x01) so that a leaf can never pass
for an inner node. Proofs are lists of 32-byte SHA-256 hashes, bottom-up, as in the RFC; the
verifiers follow its algorithms step by step (2.1.3.2 and 2.1.4.2), so a proof made here checks
with any RFC 9162 implementation and the other way round. Tested against the RFC 6962 vectors of
the Certificate Transparency reference code (tests/test_merkle.py).

The producers take every leaf hash of the tree (a list in memory: 32 bytes an entry, 32 MB for a
million entries) and cost O(n) per proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(data: bytes) -> bytes:
    """The hash of one entry as a leaf: SHA-256(0x00 || entry)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The hash of an inner node: SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than n (n >= 2)."""
    return 1 << ((n - 1).bit_length() - 1)


def root(leaves: Sequence[bytes], start: int = 0, end: int | None = None) -> bytes:
    """The tree head (MTH) over the leaf hashes leaves[start:end]."""
    stop = len(leaves) if end is None else end
    n = stop - start
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return leaves[start]
    k = _split(n)
    return node_hash(root(leaves, start, start + k), root(leaves, start + k, stop))


def inclusion_proof(leaves: Sequence[bytes], index: int, size: int | None = None) -> list[bytes]:
    """The audit path of leaf `index` in the tree of the first `size` leaves (all by default)."""
    n = len(leaves) if size is None else size
    if not 0 <= index < n <= len(leaves):
        raise ValueError(f"leaf {index} is not in a tree of {n} leaves")
    path: list[bytes] = []

    def walk(m: int, start: int, stop: int) -> None:
        if stop - start <= 1:
            return
        k = _split(stop - start)
        if m < k:
            walk(m, start, start + k)
            path.append(root(leaves, start + k, stop))
        else:
            walk(m - k, start + k, stop)
            path.append(root(leaves, start, start + k))

    walk(index, 0, n)
    return path


def consistency_proof(leaves: Sequence[bytes], old_size: int, new_size: int | None = None) -> list[bytes]:
    """The proof that the tree of `old_size` leaves is a prefix of the tree of `new_size`."""
    n = len(leaves) if new_size is None else new_size
    if not 0 <= old_size <= n <= len(leaves):
        raise ValueError(f"no consistency proof from size {old_size} to size {n}")
    if old_size in (0, n):
        return []
    path: list[bytes] = []

    def sub(m: int, start: int, stop: int, whole: bool) -> None:
        if m == stop - start:
            if not whole:
                path.append(root(leaves, start, stop))
            return
        k = _split(stop - start)
        if m <= k:
            sub(m, start, start + k, whole)
            path.append(root(leaves, start + k, stop))
        else:
            sub(m - k, start + k, stop, False)
            path.append(root(leaves, start, start + k))

    sub(old_size, 0, n, True)
    return path


def root_from_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes]) -> bytes | None:
    """The root that the audit path leads to from a leaf hash (RFC 9162 2.1.3.2), or None when
    the path cannot belong to a tree of this size."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof) or len(leaf) != HASH_SIZE:
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            r = node_hash(r, p)
        fn, sn = fn >> 1, sn >> 1
    return r if sn == 0 else None


def verify_inclusion(leaf: bytes, index: int, size: int, proof: Sequence[bytes], tree_root: bytes) -> bool:
    """Whether `proof` shows the leaf hash at `index` in the tree of `size` leaves with this root."""
    return root_from_inclusion(leaf, index, size, proof) == tree_root


def verify_consistency(old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]) -> bool:
    """Whether `proof` shows the tree (old_size, old_root) to be a prefix of (new_size, new_root)
    (RFC 9162 2.1.4.2; equal sizes need equal roots and an empty proof, size 0 an empty proof)."""
    if not 0 <= old_size <= new_size or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof
    if not proof:
        return False
    return _consistent_roots(old_size, new_size, old_root, new_root, list(proof))


def _consistent_roots(old_size: int, new_size: int, old_root: bytes, new_root: bytes, path: list[bytes]) -> bool:
    """RFC 9162 2.1.4.2 steps 2-7, for 0 < old_size < new_size and a non-empty proof."""
    if old_size & (old_size - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn, sn = fn >> 1, sn >> 1
        else:
            sr = node_hash(sr, c)
        fn, sn = fn >> 1, sn >> 1
    return fr == old_root and sr == new_root and sn == 0
