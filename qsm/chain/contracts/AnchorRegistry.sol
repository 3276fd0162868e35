// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title AnchorRegistry
/// @notice Records Merkle roots of qsm output batches. A root can be anchored once; each submitter's roots
/// form a hash-linked chain through `prevRoot`. Nothing else is stored and nobody has special rights.
contract AnchorRegistry {
    struct Anchor {
        address submitter;
        uint64 blockNumber;
        uint32 leafCount;
        uint64 batchId;
    }

    mapping(bytes32 => Anchor) private _anchors;

    /// @notice The last root each submitter anchored (zero before the first one).
    mapping(address => bytes32) public lastRootOf;

    event Anchored(
        bytes32 indexed root,
        uint64 indexed batchId,
        address indexed submitter,
        uint32 leafCount,
        bytes32 prevRoot
    );

    error ZeroRoot();
    error EmptyBatch();
    error AlreadyAnchored(bytes32 root);

    /// @notice Anchor `root`, the Merkle root of a batch of `leafCount` leaves numbered `batchId` by its submitter.
    function anchor(bytes32 root, uint64 batchId, uint32 leafCount) external {
        if (root == bytes32(0)) revert ZeroRoot();
        if (leafCount == 0) revert EmptyBatch();
        if (_anchors[root].blockNumber != 0) revert AlreadyAnchored(root);
        bytes32 prevRoot = lastRootOf[msg.sender];
        _anchors[root] = Anchor(msg.sender, uint64(block.number), leafCount, batchId);
        lastRootOf[msg.sender] = root;
        emit Anchored(root, batchId, msg.sender, leafCount, prevRoot);
    }

    /// @notice Where and by whom `root` was anchored; all zero if it never was.
    function anchorOf(bytes32 root)
        external
        view
        returns (uint64 batchId, uint64 blockNumber, uint32 leafCount, address submitter)
    {
        Anchor memory a = _anchors[root];
        return (a.batchId, a.blockNumber, a.leafCount, a.submitter);
    }
}
