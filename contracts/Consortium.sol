// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../interfaces/IConsortium.sol";

/// @title Consortium
/// @notice Agencies that manage group signature groups record their users' anonymous uploads
/// and decide by a 2/3 vote who joins, who leaves, and whose signature may be opened
/// (research: Huang, Chen, Wang 2020, Sci China Inf Sci, §3: several groups share data through
/// a consortium chain; a group manager traces a signer only with the consortium's approval, so
/// no single manager can frame an honest user or shield a dishonest one).
/// @dev Trust assumptions: the founders are chosen at deployment; from then on membership
/// changes only by ballots that reach ⌈2n/3⌉ of the current members. Each agency is trusted
/// to check its users' group signatures before submitting a record (the contract stores their
/// hashes, it cannot verify ACJT signatures) and is the only party able to open them: the
/// contract proves that the consortium approved a trace and what the agency published, and
/// the published opening carries its own proof, checked off chain. If the record's agency
/// leaves the consortium, its approved traces cannot be opened any more. Records are keyed by
/// (agency, file id): no agency can take, block or overwrite another agency's record by
/// submitting its file id first.
///
/// No loops: membership is an index-mapped set (swap-and-pop removal) and the staleness rule
/// (see `IConsortium`) replaces re-counting votes when membership changes. Storage: a record
/// takes four slots, a ballot three (five for a trace), a vote one.
contract Consortium is IConsortium {
    /// @inheritdoc IConsortium
    uint256 public constant MIN_MEMBERS = 3;
    /// @inheritdoc IConsortium
    uint64 public constant MAX_VOTING_PERIOD = 365 days;

    /// @inheritdoc IConsortium
    uint64 public immutable votingPeriod;

    uint64 private _membershipEpoch; // epoch and count share one slot: one read per vote
    uint64 private _memberCount;
    uint256 private _ballotCount;

    mapping(uint256 index => address member) private _memberAt;
    mapping(address account => uint256 indexPlusOne) private _memberSlot; // 0 for non-members
    mapping(address agency => GroupKey) private _groupKeys; // cleared on removal
    mapping(address agency => mapping(bytes32 fileId => Record)) private _records;
    mapping(uint256 ballotId => Ballot) private _ballots;
    mapping(uint256 ballotId => mapping(address member => bool)) private _hasVoted;
    mapping(uint256 ballotId => Opening) private _openings;

    /// @dev An agency's group key (two slots): the hash of its public key (which covers the
    /// seed and the setup proof) and the seed its bases are hashed from.
    struct GroupKey {
        bytes32 keyHash;
        bytes32 seed;
    }

    /// @dev What `publishOpening` stores (two slots); the bytes are in `TraceOpened`.
    struct Opening {
        address signer;
        uint64 openedAt;
        bytes32 openingHash;
    }

    /// @dev Reverts with `ConsortiumNotMember` unless the caller is a member.
    modifier onlyMember() {
        if (_memberSlot[msg.sender] == 0) revert ConsortiumNotMember(msg.sender);
        _;
    }

    /// @notice Found the consortium with `founders` as its members, in epoch 0.
    /// @dev Reverts with `ConsortiumBelowMinimum` for fewer than `MIN_MEMBERS` founders,
    /// `ConsortiumZeroField("founder")` or `ConsortiumAlreadyMember` for a zero or repeated
    /// founder, and `ConsortiumInvalidVotingPeriod` unless 0 < votingPeriod ≤ `MAX_VOTING_PERIOD`.
    /// Emits `MemberAdmitted` (ballot 0, epoch 0) for each founder.
    /// @param founders The founding agencies' accounts.
    /// @param votingPeriod_ How long a ballot stays open, in seconds.
    constructor(address[] memory founders, uint64 votingPeriod_) {
        if (founders.length < MIN_MEMBERS) revert ConsortiumBelowMinimum(founders.length, MIN_MEMBERS);
        if (votingPeriod_ == 0 || votingPeriod_ > MAX_VOTING_PERIOD) {
            revert ConsortiumInvalidVotingPeriod(votingPeriod_, MAX_VOTING_PERIOD);
        }
        votingPeriod = votingPeriod_;
        for (uint256 i = 0; i < founders.length; ++i) {
            // bounded by the deployer's own array, once
            uint256 count = _insertMember(founders[i], "founder");
            emit MemberAdmitted(founders[i], 0, 0, count);
        }
    }

    // --- group keys and records ---------------------------------------------------------------

    /// @inheritdoc IConsortium
    function setGroupKey(bytes32 groupKeyHash, bytes32 groupKeySeed) external onlyMember {
        if (groupKeyHash == bytes32(0)) revert ConsortiumZeroField("groupKeyHash");
        if (groupKeySeed == bytes32(0)) revert ConsortiumZeroField("groupKeySeed");
        _groupKeys[msg.sender] = GroupKey(groupKeyHash, groupKeySeed);
        emit GroupKeySet(msg.sender, groupKeyHash, groupKeySeed);
    }

    /// @inheritdoc IConsortium
    function submitRecord(bytes32 fileId, bytes32 merkleRoot, uint64 blockCount, bytes32 signatureHash) external {
        // Only members have a group key (removal clears it): one storage read checks both.
        bytes32 groupKeyHash = _groupKeys[msg.sender].keyHash;
        if (groupKeyHash == bytes32(0)) {
            if (_memberSlot[msg.sender] == 0) revert ConsortiumNotMember(msg.sender);
            revert ConsortiumGroupKeyNotSet(msg.sender);
        }
        if (fileId == bytes32(0)) revert ConsortiumZeroField("fileId");
        if (merkleRoot == bytes32(0)) revert ConsortiumZeroField("merkleRoot");
        if (blockCount == 0) revert ConsortiumZeroField("blockCount");
        if (signatureHash == bytes32(0)) revert ConsortiumZeroField("signatureHash");
        Record storage record = _records[msg.sender][fileId]; // another agency's id is another record
        if (record.agency != address(0)) revert ConsortiumRecordAlreadySubmitted(fileId, msg.sender);

        record.agency = msg.sender;
        record.blockCount = blockCount;
        record.submittedAt = uint32(block.timestamp); // fits until the year 2106
        record.groupKeyHash = groupKeyHash;
        record.merkleRoot = merkleRoot;
        record.signatureHash = signatureHash;

        emit RecordSubmitted(fileId, msg.sender, merkleRoot, blockCount, signatureHash, groupKeyHash);
    }

    // --- ballots ------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function proposeAdmission(address candidate) external onlyMember returns (uint256 ballotId) {
        if (candidate == address(0)) revert ConsortiumZeroField("candidate");
        if (_memberSlot[candidate] != 0) revert ConsortiumAlreadyMember(candidate);
        return _open(BallotKind.Admission, _subjectOf(candidate), bytes32(0), address(0));
    }

    /// @inheritdoc IConsortium
    function proposeRemoval(address member) external onlyMember returns (uint256 ballotId) {
        if (_memberSlot[member] == 0) revert ConsortiumNotMember(member);
        _requireAboveMinimum();
        return _open(BallotKind.Removal, _subjectOf(member), bytes32(0), address(0));
    }

    /// @inheritdoc IConsortium
    function requestTrace(address agency, bytes32 fileId, bytes32 reasonHash)
        external
        onlyMember
        returns (uint256 ballotId)
    {
        if (_records[agency][fileId].agency == address(0)) revert ConsortiumUnknownRecord(agency, fileId);
        if (reasonHash == bytes32(0)) revert ConsortiumZeroField("reasonHash");
        return _open(BallotKind.Trace, fileId, reasonHash, agency);
    }

    /// @inheritdoc IConsortium
    function vote(uint256 ballotId, bool support) external onlyMember {
        Ballot storage ballot = _ballots[ballotId];
        if (ballot.proposer == address(0)) revert ConsortiumUnknownBallot(ballotId);
        BallotStatus stored = ballot.status;
        if (stored != BallotStatus.Pending) revert ConsortiumBallotNotPending(ballotId, stored);
        uint64 epoch = _membershipEpoch;
        if (ballot.epoch != epoch) revert ConsortiumBallotStale(ballotId, ballot.epoch, epoch);
        if (block.timestamp > ballot.deadline) revert ConsortiumBallotExpired(ballotId, ballot.deadline);
        if (_hasVoted[ballotId][msg.sender]) revert ConsortiumAlreadyVoted(ballotId, msg.sender);

        (uint256 approvals, uint256 rejections) = _castVote(ballotId, ballot, support);
        uint256 n = _memberCount;
        uint256 needed = _quorumOf(n);
        if (approvals >= needed) {
            ballot.status = BallotStatus.Approved;
            _execute(ballotId, ballot, approvals, n, needed);
        } else if (rejections > n - needed) {
            ballot.status = BallotStatus.Rejected;
            emit BallotRejected(ballotId, approvals, rejections);
        }
    }

    /// @inheritdoc IConsortium
    function expire(uint256 ballotId) external {
        Ballot storage ballot = _ballots[ballotId];
        if (ballot.proposer == address(0)) revert ConsortiumUnknownBallot(ballotId);
        BallotStatus stored = ballot.status;
        if (stored != BallotStatus.Pending) revert ConsortiumBallotNotPending(ballotId, stored);
        // Every branch below assigns `reason` or reverts: the zero default is never emitted.
        // slither-disable-next-line uninitialized-local
        ExpiryReason reason;
        if (ballot.epoch != _membershipEpoch) {
            reason = ExpiryReason.MembershipChanged;
        } else if (block.timestamp > ballot.deadline) {
            reason = ExpiryReason.DeadlinePassed;
        } else {
            revert ConsortiumBallotStillOpen(ballotId, ballot.deadline);
        }
        ballot.status = BallotStatus.Expired;
        emit BallotExpired(ballotId, reason);
    }

    // --- openings -----------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function publishOpening(uint256 ballotId, address signer, bytes calldata opening) external {
        Ballot storage ballot = _ballots[ballotId];
        if (ballot.proposer == address(0)) revert ConsortiumUnknownBallot(ballotId);
        if (ballot.kind != BallotKind.Trace || ballot.status != BallotStatus.Approved) {
            revert ConsortiumNotApprovedTrace(ballotId, ballot.kind, _statusOf(ballot));
        }
        bytes32 fileId = ballot.subject;
        address agency = ballot.recordAgency; // requestTrace checked that it submitted the record
        if (msg.sender != agency) revert ConsortiumNotRecordAgency(fileId, msg.sender, agency);
        if (_memberSlot[msg.sender] == 0) revert ConsortiumNotMember(msg.sender);
        Opening storage stored = _openings[ballotId];
        if (stored.signer != address(0)) revert ConsortiumAlreadyOpened(ballotId);
        if (signer == address(0)) revert ConsortiumZeroField("signer");
        if (opening.length == 0) revert ConsortiumEmptyOpening();

        stored.signer = signer;
        stored.openedAt = uint64(block.timestamp);
        stored.openingHash = keccak256(opening);

        emit TraceOpened(ballotId, fileId, msg.sender, signer, opening);
    }

    // --- views --------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint256 count) {
        return _memberCount;
    }

    /// @inheritdoc IConsortium
    function memberAt(uint256 index) external view returns (address member) {
        uint256 count = _memberCount;
        if (index >= count) revert ConsortiumMemberIndexOutOfRange(index, count);
        return _memberAt[index];
    }

    /// @inheritdoc IConsortium
    function isMember(address account) external view returns (bool member) {
        return _memberSlot[account] != 0;
    }

    /// @inheritdoc IConsortium
    function quorum() external view returns (uint256 approvalsNeeded) {
        return _quorumOf(_memberCount);
    }

    /// @inheritdoc IConsortium
    function membershipEpoch() external view returns (uint64 epoch) {
        return _membershipEpoch;
    }

    /// @inheritdoc IConsortium
    function groupKeyOf(address agency) external view returns (bytes32 groupKeyHash) {
        return _groupKeys[agency].keyHash;
    }

    /// @inheritdoc IConsortium
    function groupKeySeedOf(address agency) external view returns (bytes32 groupKeySeed) {
        return _groupKeys[agency].seed;
    }

    /// @inheritdoc IConsortium
    function recordOf(address agency, bytes32 fileId) external view returns (Record memory record) {
        record = _records[agency][fileId];
        if (record.agency == address(0)) revert ConsortiumUnknownRecord(agency, fileId);
    }

    /// @inheritdoc IConsortium
    function ballotCount() external view returns (uint256 count) {
        return _ballotCount;
    }

    /// @inheritdoc IConsortium
    function ballotOf(uint256 ballotId) external view returns (Ballot memory ballot) {
        Ballot storage stored = _ballots[ballotId];
        if (stored.proposer == address(0)) revert ConsortiumUnknownBallot(ballotId);
        ballot = stored;
        ballot.status = _statusOf(stored);
    }

    /// @inheritdoc IConsortium
    function hasVoted(uint256 ballotId, address member) external view returns (bool voted) {
        return _hasVoted[ballotId][member];
    }

    /// @inheritdoc IConsortium
    function openingOf(uint256 ballotId) external view returns (address signer, bytes32 openingHash, uint64 openedAt) {
        Opening storage opening = _openings[ballotId];
        if (opening.signer == address(0)) revert ConsortiumNotOpened(ballotId);
        return (opening.signer, opening.openingHash, opening.openedAt);
    }

    // --- internals ----------------------------------------------------------------------------

    /// @dev Opens a ballot of the current epoch and counts the proposer's approval. A single
    /// approval never decides: the quorum is at least 2 since n ≥ `MIN_MEMBERS`.
    /// `recordAgency` is the traced record's agency (zero for admissions and removals).
    function _open(BallotKind kind, bytes32 subject, bytes32 reasonHash, address recordAgency)
        private
        returns (uint256 ballotId)
    {
        ballotId = ++_ballotCount;
        uint64 deadline = uint64(block.timestamp) + votingPeriod;
        uint64 epoch = _membershipEpoch;
        Ballot storage ballot = _ballots[ballotId];
        ballot.proposer = msg.sender;
        ballot.deadline = deadline;
        ballot.kind = kind;
        ballot.epoch = epoch;
        ballot.subject = subject;
        if (reasonHash != bytes32(0)) ballot.reasonHash = reasonHash; // traces only
        if (recordAgency != address(0)) ballot.recordAgency = recordAgency; // traces only
        emit BallotOpened(ballotId, kind, msg.sender, subject, recordAgency, reasonHash, deadline, epoch);
        _castVote(ballotId, ballot, true);
    }

    /// @dev Counts the caller's vote; the caller's eligibility was checked before.
    function _castVote(uint256 ballotId, Ballot storage ballot, bool support)
        private
        returns (uint256 approvals, uint256 rejections)
    {
        _hasVoted[ballotId][msg.sender] = true;
        uint64 approvals64 = ballot.approvals;
        uint64 rejections64 = ballot.rejections;
        if (support) {
            ballot.approvals = ++approvals64;
        } else {
            ballot.rejections = ++rejections64;
        }
        emit Voted(ballotId, msg.sender, support, approvals64, rejections64);
        return (approvals64, rejections64);
    }

    /// @dev Carries out an approved ballot (its status is already `Approved`).
    function _execute(uint256 ballotId, Ballot storage ballot, uint256 approvals, uint256 n, uint256 needed)
        private
    {
        BallotKind kind = ballot.kind;
        bytes32 subject = ballot.subject;
        if (kind == BallotKind.Admission) {
            address candidate = address(uint160(uint256(subject)));
            uint256 count = _insertMember(candidate, "candidate");
            emit MemberAdmitted(candidate, ballotId, ++_membershipEpoch, count);
        } else if (kind == BallotKind.Removal) {
            address member = address(uint160(uint256(subject)));
            uint256 count = _deleteMember(member);
            emit MemberRemoved(member, ballotId, ++_membershipEpoch, count);
        } else {
            emit TraceApproved(ballotId, subject, ballot.recordAgency, approvals, n, needed);
        }
    }

    /// @dev Adds `account` at the end of the member set; returns the new member count.
    /// `field` names the account in `ConsortiumZeroField`.
    function _insertMember(address account, string memory field) internal returns (uint256 count) {
        if (account == address(0)) revert ConsortiumZeroField(field);
        if (_memberSlot[account] != 0) revert ConsortiumAlreadyMember(account);
        uint64 index = _memberCount;
        _memberAt[index] = account;
        _memberSlot[account] = uint256(index) + 1;
        _memberCount = index + 1;
        return uint256(index) + 1;
    }

    /// @dev Removes `account` by moving the last member into its place (O(1)) and clears its
    /// group key; returns the new member count. The checks repeat `proposeRemoval`'s: the
    /// staleness rule keeps membership unchanged between a removal's proposal and execution,
    /// so they hold here unless a future change breaks that rule.
    function _deleteMember(address account) internal returns (uint256 count) {
        uint256 slot = _memberSlot[account];
        if (slot == 0) revert ConsortiumNotMember(account);
        _requireAboveMinimum();
        uint64 last = _memberCount - 1;
        if (slot - 1 != last) {
            address moved = _memberAt[last];
            _memberAt[slot - 1] = moved;
            _memberSlot[moved] = slot;
        }
        delete _memberAt[last];
        delete _memberSlot[account];
        delete _groupKeys[account];
        _memberCount = last;
        return last;
    }

    /// @dev Reverts with `ConsortiumBelowMinimum` unless one member can leave.
    function _requireAboveMinimum() internal view {
        uint256 remaining = uint256(_memberCount) - 1;
        if (remaining < MIN_MEMBERS) revert ConsortiumBelowMinimum(remaining, MIN_MEMBERS);
    }

    /// @dev ⌈2n/3⌉ in integers.
    function _quorumOf(uint256 n) private pure returns (uint256) {
        return (2 * n + 2) / 3;
    }

    /// @dev The status as of now: a pending ballot of an earlier epoch is `Stale`, one past its
    /// deadline `Expired` (staleness first, as in `expire`).
    function _statusOf(Ballot storage ballot) private view returns (BallotStatus) {
        BallotStatus stored = ballot.status;
        if (stored != BallotStatus.Pending) return stored;
        if (ballot.epoch != _membershipEpoch) return BallotStatus.Stale;
        if (block.timestamp > ballot.deadline) return BallotStatus.Expired;
        return BallotStatus.Pending;
    }

    /// @dev An account as a ballot subject: `bytes32(uint256(uint160(account)))`.
    function _subjectOf(address account) private pure returns (bytes32) {
        return bytes32(uint256(uint160(account)));
    }
}
