// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title AnchorRegistry
/// @notice Records Merkle roots of qsm output batches. A root can be anchored once; nobody has special rights.
/// @dev One storage slot per root (submitter, block, leaf count: what a lookup needs); the submitter's own
/// batch number is only in the event. Gas per anchor: see benchmarks/results/ledger.json.
contract AnchorRegistry {
    struct Anchor {
        address submitter;
        uint64 blockNumber;
        uint32 leafCount;
    }

    mapping(bytes32 => Anchor) private _anchors;

    event Anchored(bytes32 indexed root, uint64 indexed batchId, address indexed submitter, uint32 leafCount);

    error ZeroRoot();
    error EmptyBatch();
    error AlreadyAnchored(bytes32 root);

    /// @notice Anchor `root`, the Merkle root of a batch of `leafCount` leaves numbered `batchId` by its submitter.
    function anchor(bytes32 root, uint64 batchId, uint32 leafCount) external {
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert EmptyBatch();
        if (_anchors[root].blockNumber != 0) revert AlreadyAnchored(root);
        _anchors[root] = Anchor(msg.sender, uint64(block.number), leafCount);
        emit Anchored(root, batchId, msg.sender, leafCount);
    }

    /// @notice Who anchored `root`, in which block, with how many leaves; all zero if it never was.
    function anchorOf(bytes32 root) external view returns (address submitter, uint64 blockNumber, uint32 leafCount) {
        Anchor memory a = _anchors[root];
        return (a.submitter, a.blockNumber, a.leafCount);
    }
}
