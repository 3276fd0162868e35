"""The Merkle tree matches OpenZeppelin's StandardMerkleTree exactly (vectors made with
@openzeppelin/merkle-tree, see scripts/ledger_merkle_vectors.mjs) and rejects anything tampered."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qsm.chain.merkle import (
    MerkleTree,
    MultiProof,
    hash_pair,
    leaf_hash,
    process_multiproof,
    process_proof,
    verify_proof_path,
)

VECTORS = Path(__file__).parent / "data" / "merkle_vectors.json"


@cache
def vectors() -> dict:
    return json.loads(VECTORS.read_text())


@cache
def values() -> list[tuple[bytes, bytes]]:
    seed = vectors()["seed"]
    return [
        (
            hashlib.sha256(f"{seed}:digest:{i}".encode()).digest(),
            hashlib.sha256(f"{seed}:salt:{i}".encode()).digest(),
        )
        for i in range(vectors()["maxN"])
    ]


def hx(b: bytes) -> str:
    return "0x" + b.hex()


def flip(b: bytes, bit: int = 0) -> bytes:
    return bytes([b[0] ^ (1 << bit)]) + b[1:]


def test_vector_file_covers_n_1_to_1000() -> None:
    assert vectors()["maxN"] == 1000 and len(vectors()["roots"]) == 1000
    assert vectors()["generator"]["package"] == "@openzeppelin/merkle-tree"


@pytest.mark.parametrize("n", [*range(1, 130), 255, 256, 257, 511, 512, 513, 999, 1000])
def test_roots_match_openzeppelin(n: int) -> None:
    assert hx(MerkleTree(values()[:n]).root) == vectors()["roots"][n - 1]


@pytest.mark.slow
def test_roots_match_openzeppelin_for_every_n_up_to_1000() -> None:
    mismatches = [n for n in range(1, 1001) if hx(MerkleTree(values()[:n]).root) != vectors()["roots"][n - 1]]
    assert mismatches == []


def test_proofs_match_openzeppelin_and_verify() -> None:
    for case in vectors()["proofs"]:
        tree = MerkleTree(values()[: case["n"]])
        proof = tree.proof(case["index"])
        assert [hx(p) for p in proof] == case["proof"], case
        digest, salt = values()[case["index"]]
        assert verify_proof_path(tree.root, digest, salt, proof)


def test_multiproofs_match_openzeppelin() -> None:
    for case in vectors()["multiproofs"]:
        tree = MerkleTree(values()[: case["n"]])
        multi = tree.multiproof(case["indices"])
        assert [hx(p) for p in multi.proof] == case["proof"]
        assert list(multi.proof_flags) == case["proofFlags"]
        expected_leaves = [
            hx(leaf_hash(bytes.fromhex(d[2:]), bytes.fromhex(s[2:]))) for d, s in case["leaves"]
        ]
        assert [hx(leaf) for leaf in multi.leaves] == expected_leaves
        assert process_multiproof(multi) == tree.root


def test_tree_layout_matches_openzeppelin_dump() -> None:
    dump = vectors()["dumpN5"]
    tree = MerkleTree(values()[:5])
    assert [hx(node) for node in tree.nodes] == dump["tree"]
    assert [tree.tree_index(i) for i in range(5)] == [v["treeIndex"] for v in dump["values"]]
    assert dump["leafEncoding"] == ["bytes32", "bytes32"]


def test_leaf_is_double_keccak_of_abi_encoding() -> None:
    from eth_abi import encode
    from eth_hash.auto import keccak

    digest, salt = values()[0]
    assert leaf_hash(digest, salt) == keccak(keccak(encode(["bytes32", "bytes32"], [digest, salt])))
    assert hash_pair(digest, salt) == hash_pair(salt, digest)


@pytest.mark.parametrize("n", [1, 2, 3, 7, 64, 100])
def test_tampered_inputs_are_rejected(n: int) -> None:
    tree = MerkleTree(values()[:n])
    for index in {0, n // 2, n - 1}:
        digest, salt = values()[index]
        proof = tree.proof(index)
        assert verify_proof_path(tree.root, digest, salt, proof)
        assert not verify_proof_path(tree.root, flip(digest), salt, proof)
        assert not verify_proof_path(tree.root, digest, flip(salt, 7), proof)
        assert not verify_proof_path(flip(tree.root), digest, salt, proof)
        for k in range(len(proof)):
            bad = list(proof)
            bad[k] = flip(bad[k], 3)
            assert not verify_proof_path(tree.root, digest, salt, bad)
        if len(proof) > 1:
            assert not verify_proof_path(tree.root, digest, salt, proof[:-1])
            assert not verify_proof_path(tree.root, digest, salt, list(reversed(proof)))
        if n > 1:
            other = values()[(index + 1) % n]
            assert not verify_proof_path(tree.root, other[0], other[1], proof)


def test_malformed_input_is_rejected_not_crashing() -> None:
    digest, salt = values()[0]
    assert not verify_proof_path(b"\0" * 31, digest, salt, [])
    assert not verify_proof_path(MerkleTree([(digest, salt)]).root, digest[:31], salt, [])
    with pytest.raises(ValueError):
        process_proof(b"x", [])
    with pytest.raises(ValueError):
        MerkleTree([])
    with pytest.raises(IndexError):
        MerkleTree(values()[:3]).proof(3)
    with pytest.raises(ValueError):
        MerkleTree(values()[:4]).multiproof([1, 1])
    with pytest.raises(ValueError):
        process_multiproof(MultiProof(leaves=(digest,), proof=(), proof_flags=(True,)))


def test_tampered_multiproof_is_rejected() -> None:
    tree = MerkleTree(values()[:16])
    multi = tree.multiproof([0, 5, 15])
    bad = MultiProof(multi.leaves, (flip(multi.proof[0]), *multi.proof[1:]), multi.proof_flags)
    assert process_multiproof(bad) != tree.root
    swapped = MultiProof((flip(multi.leaves[0]), *multi.leaves[1:]), multi.proof, multi.proof_flags)
    assert process_multiproof(swapped) != tree.root


pairs = st.lists(
    st.tuples(st.binary(min_size=32, max_size=32), st.binary(min_size=32, max_size=32)),
    min_size=1,
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(pairs, st.data())
def test_every_value_proves_and_only_its_own_proof(
    items: list[tuple[bytes, bytes]], data: st.DataObject
) -> None:
    tree = MerkleTree(items)
    index = data.draw(st.integers(0, len(items) - 1))
    assert verify_proof_path(tree.root, *items[index], tree.proof(index))
    assert process_proof(tree.leaf(index), tree.proof(index)) == tree.root
    chosen = data.draw(st.sets(st.integers(0, len(items) - 1), min_size=1))
    assert process_multiproof(tree.multiproof(sorted(chosen))) == tree.root
