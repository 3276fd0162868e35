"""Merkle trees with OpenZeppelin ``StandardMerkleTree`` conventions, so proofs verify with standard tools.

Conventions (as in ``@openzeppelin/merkle-tree`` ``StandardMerkleTree.of(values, ["bytes32", "bytes32"])``
and OpenZeppelin's ``MerkleProof.sol``):

- a leaf value is a pair ``(content digest, salt)`` of 32-byte strings; its hash is
  ``keccak256(keccak256(abi.encode(bytes32, bytes32)))`` (for two static ``bytes32`` the ABI encoding is
  their plain concatenation);
- leaf hashes are sorted (byte order, stable) before the tree is built; a value keeps its *value index*
  (its position in the input list) and proofs are asked for by value index;
- the tree is a flat array of ``2n - 1`` nodes, leaves at the end in reverse order, node ``i`` has children
  ``2i + 1`` and ``2i + 2``; an inner node is ``keccak256`` of its two children sorted (commutative pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_hash.auto import keccak

__all__ = [
    "LEAF_ENCODING",
    "MerkleTree",
    "MultiProof",
    "hash_pair",
    "leaf_hash",
    "process_multiproof",
    "process_proof",
    "verify_proof_path",
]

LEAF_ENCODING: tuple[str, str] = ("bytes32", "bytes32")


def _check_node(node: bytes, what: str) -> bytes:
    if not isinstance(node, bytes | bytearray) or len(node) != 32:
        raise ValueError(f"{what} must be 32 bytes, got {len(node) if isinstance(node, bytes) else node!r}")
    return bytes(node)


def leaf_hash(digest: bytes, salt: bytes) -> bytes:
    """``keccak256(keccak256(abi.encode(bytes32 digest, bytes32 salt)))``."""
    encoded = _check_node(digest, "leaf digest") + _check_node(salt, "leaf salt")
    return keccak(keccak(encoded))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """``keccak256`` of the two nodes in ascending byte order (OpenZeppelin's commutative pair hash)."""
    return keccak(a + b if a <= b else b + a)


def process_proof(leaf: bytes, proof: Sequence[bytes]) -> bytes:
    """The root implied by ``leaf`` and its sibling path ``proof``."""
    node = _check_node(leaf, "leaf hash")
    for sibling in proof:
        node = hash_pair(node, _check_node(sibling, "proof node"))
    return node


def verify_proof_path(root: bytes, digest: bytes, salt: bytes, proof: Sequence[bytes]) -> bool:
    """True when the leaf ``(digest, salt)`` with ``proof`` leads to ``root``; False for any bad input."""
    try:
        return process_proof(leaf_hash(digest, salt), proof) == _check_node(root, "root")
    except ValueError:
        return False


@dataclass(frozen=True)
class MultiProof:
    """OpenZeppelin multiproof: the proven leaf hashes (in proof order), helper nodes and flags."""

    leaves: tuple[bytes, ...]
    proof: tuple[bytes, ...]
    proof_flags: tuple[bool, ...]


def process_multiproof(multiproof: MultiProof) -> bytes:
    """The root implied by a multiproof (``MerkleProof.processMultiProof``); ValueError if malformed."""
    leaves = [_check_node(leaf, "leaf hash") for leaf in multiproof.leaves]
    proof = [_check_node(node, "proof node") for node in multiproof.proof]
    flags = list(multiproof.proof_flags)
    if len(proof) < flags.count(False) or len(leaves) + len(proof) != len(flags) + 1:
        raise ValueError("multiproof leaves, proof and flags do not fit together")
    stack, helpers = list(leaves), list(proof)
    for flag in flags:
        if not stack or (flag and len(stack) < 2) or (not flag and not helpers):
            raise ValueError("malformed multiproof")
        a = stack.pop(0)
        b = stack.pop(0) if flag else helpers.pop(0)
        stack.append(hash_pair(a, b))
    if len(stack) + len(helpers) != 1:
        raise ValueError("malformed multiproof")
    return stack[0] if stack else helpers[0]


class MerkleTree:
    """A StandardMerkleTree over ``(digest, salt)`` pairs, given in value order."""

    def __init__(self, values: Sequence[tuple[bytes, bytes]]) -> None:
        if not values:
            raise ValueError("a Merkle tree needs at least one leaf")
        hashed = sorted(
            ((leaf_hash(digest, salt), index) for index, (digest, salt) in enumerate(values)),
            key=lambda pair: pair[0],
        )
        size = 2 * len(hashed) - 1
        nodes: list[bytes] = [b""] * size
        self._tree_index = [0] * len(values)
        for leaf_position, (hashed_leaf, value_index) in enumerate(hashed):
            nodes[size - 1 - leaf_position] = hashed_leaf
            self._tree_index[value_index] = size - 1 - leaf_position
        for i in range(size - 1 - len(hashed), -1, -1):
            nodes[i] = hash_pair(nodes[2 * i + 1], nodes[2 * i + 2])
        self._nodes = nodes
        self.values: tuple[tuple[bytes, bytes], ...] = tuple((bytes(d), bytes(s)) for d, s in values)

    def __len__(self) -> int:
        return len(self.values)

    @property
    def root(self) -> bytes:
        return self._nodes[0]

    @property
    def nodes(self) -> tuple[bytes, ...]:
        """The flat node array (OpenZeppelin's ``tree`` in ``dump()``)."""
        return tuple(self._nodes)

    def tree_index(self, value_index: int) -> int:
        return self._tree_index[self._check_index(value_index)]

    def leaf(self, value_index: int) -> bytes:
        return self._nodes[self.tree_index(value_index)]

    def proof(self, value_index: int) -> list[bytes]:
        """Sibling path from the leaf of value ``value_index`` up to (not including) the root."""
        i = self.tree_index(value_index)
        path: list[bytes] = []
        while i > 0:
            path.append(self._nodes[i + 1 if i % 2 else i - 1])
            i = (i - 1) // 2
        return path

    def multiproof(self, value_indices: Sequence[int]) -> MultiProof:
        """OpenZeppelin ``getMultiProof`` for several values at once."""
        indices = sorted((self.tree_index(v) for v in value_indices), reverse=True)
        if len(set(indices)) != len(indices):
            raise ValueError("cannot prove a duplicated index")
        stack, proof, flags = list(indices), [], []
        while stack and stack[0] > 0:
            j = stack.pop(0)
            sibling, parent = (j + 1 if j % 2 else j - 1), (j - 1) // 2
            if stack and stack[0] == sibling:
                flags.append(True)
                stack.pop(0)
            else:
                flags.append(False)
                proof.append(self._nodes[sibling])
            stack.append(parent)
        if not indices:
            proof.append(self._nodes[0])
        return MultiProof(tuple(self._nodes[i] for i in indices), tuple(proof), tuple(flags))

    def _check_index(self, value_index: int) -> int:
        if not 0 <= value_index < len(self.values):
            raise IndexError(f"value index {value_index} out of range for {len(self.values)} leaves")
        return value_index
