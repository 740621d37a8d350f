"""RFC 9162 Merkle trees (interdict.merkle) against the RFC 6962 test vectors of the Certificate
Transparency reference code (transparency-dev/merkle, testonly/constants.go and
testonly/reference_test.go), then every proof of every tree up to 40 leaves, and tampered proofs."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from interdict.merkle import (
    EMPTY_ROOT,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root,
    verify_consistency,
    verify_inclusion,
)

INPUTS = [bytes.fromhex(h) for h in ("", "00", "10", "2021", "3031", "40414243", "5051525354555657",
                                     "606162636465666768696a6b6c6d6e6f")]
ROOTS = ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
         "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
         "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
         "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
         "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
         "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
         "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
         "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"]
INCLUSION = {  # (leaf index, tree size): audit path
    (0, 1): [],
    (0, 2): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"],
    (1, 2): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"],
    (2, 3): ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    (1, 5): ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
    (0, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (5, 8): ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
}
CONSISTENCY = {  # (old size, new size): proof
    (1, 1): [],
    (1, 8): ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
             "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"],
    (6, 8): ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
             "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
             "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"],
    (2, 5): ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
             "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"],
}
LEAVES = [leaf_hash(x) for x in INPUTS]


def test_hashes_of_the_rfc_6962_reference():
    assert EMPTY_ROOT.hex() == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert leaf_hash(b"").hex() == "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
    assert leaf_hash(b"L123456").hex() == "395aa064aa4c29f7010acfe3f25db9485bbd4b91897b6ad7ad547639252b4d56"
    assert node_hash(b"N123", b"N456").hex() == "aa217fe888e47007fa15edab33c2b492a722cb106c64667fc2b044444de66bbb"


@pytest.mark.parametrize("size", range(1, 9))
def test_tree_heads_of_the_reference_vectors(size):
    assert root(LEAVES[:size]).hex() == ROOTS[size - 1]
    assert root([]) == EMPTY_ROOT


@pytest.mark.parametrize(("index", "size"), list(INCLUSION))
def test_inclusion_proofs_of_the_reference_vectors(index, size):
    proof = inclusion_proof(LEAVES, index, size)
    assert [p.hex() for p in proof] == INCLUSION[(index, size)]
    assert verify_inclusion(LEAVES[index], index, size, proof, bytes.fromhex(ROOTS[size - 1]))


@pytest.mark.parametrize(("old", "new"), list(CONSISTENCY))
def test_consistency_proofs_of_the_reference_vectors(old, new):
    proof = consistency_proof(LEAVES, old, new)
    assert [p.hex() for p in proof] == CONSISTENCY[(old, new)]
    assert verify_consistency(old, new, bytes.fromhex(ROOTS[old - 1]), bytes.fromhex(ROOTS[new - 1]), proof)


def test_every_proof_of_every_small_tree_verifies_and_no_other_does():
    leaves = [leaf_hash(str(i).encode()) for i in range(40)]
    for n in range(1, 41):
        head = root(leaves[:n])
        for i in range(n):
            proof = inclusion_proof(leaves, i, n)
            assert verify_inclusion(leaves[i], i, n, proof, head), (i, n)
            assert not verify_inclusion(leaves[(i + 1) % 40], i, n, proof, head), (i, n)
            if n > 1:
                assert not verify_inclusion(leaves[i], (i + 1) % n, n, proof, head), (i, n)
        for m in range(0, n + 1):
            proof = consistency_proof(leaves, m, n)
            assert verify_consistency(m, n, root(leaves[:m]), head, proof), (m, n)
            if 0 < m < n:
                assert not verify_consistency(m, n, root(leaves[:m]), root(leaves[:n - 1]) if n > m + 1 else EMPTY_ROOT, proof)
                other = root([leaf_hash(b"x"), *leaves[1:m]])  # an old tree whose first entry was rewritten
                assert not verify_consistency(m, n, other, head, proof), (m, n)


@given(st.integers(1, 200), st.data())
def test_a_tampered_proof_fails(size, data):
    leaves = [hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size)]
    head = root(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(leaves, index)
    if proof:
        k = data.draw(st.integers(0, len(proof) - 1))
        bit = data.draw(st.integers(0, 255))
        bad = list(proof)
        bad[k] = bytes(b ^ (1 << (bit % 8)) if j == bit // 8 else b for j, b in enumerate(bad[k]))
        assert not verify_inclusion(leaves[index], index, size, bad, head)
        assert not verify_inclusion(leaves[index], index, size, proof[:-1], head)  # a removed component
    assert not verify_inclusion(leaves[index], index, size, [*proof, head], head)  # trailing garbage
    assert not verify_inclusion(leaves[index], index, size * 2 + 1, proof, head)
    old = data.draw(st.integers(1, size))
    steps = consistency_proof(leaves, old)
    assert verify_consistency(old, size, root(leaves[:old]), head, steps)
    if steps:
        assert not verify_consistency(old, size, root(leaves[:old]), head, steps[:-1])
        assert not verify_consistency(old, size, root(leaves[:old]), head, [*steps, head])


def test_impossible_requests_are_refused():
    with pytest.raises(ValueError, match="leaf 3 is not in a tree of 3 leaves"):
        inclusion_proof(LEAVES, 3, 3)
    with pytest.raises(ValueError, match="from size 5 to size 4"):
        consistency_proof(LEAVES, 5, 4)
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_consistency(2, 1, LEAVES[0], LEAVES[0], [])
    assert not verify_inclusion(b"short", 0, 1, [], b"short")
