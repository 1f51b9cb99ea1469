// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IConsortium
/// @notice A consortium of agencies (universities, hospitals, banks), each the manager of a group
/// signature group, that records its users' anonymous uploads and votes on trace requests:
/// an agency may reveal who signed an upload only once at least ⌈2n/3⌉ of the n current
/// agencies approved the request on chain (research: Huang, Chen, Wang 2020, "Blockchain-based
/// multiple groups data sharing with anonymity and traceability", §3: multiple groups, the
/// agency as group manager, tracing under the consortium's vote).
/// @dev Roles. Members (agencies) declare a hash of their group public key, submit records of
/// uploads their users group-signed (the agency submits, never the user, so the user's account
/// never appears), propose and vote on admissions, removals and trace requests. A record is
/// identified by (agency, file id): each agency has its own namespace of file ids, so a rival
/// agency that submits another agency's file id first makes a record of its own and blocks
/// nothing. After an
/// approved trace, only the agency that submitted the record publishes the opening (the
/// signer's certificate, join receipt and a proof that the opening is correct); anyone checks
/// it off chain.
///
/// The 2/3 rule. `quorum()` is ⌈2n/3⌉ = `(2n + 2) / 3` of the current `memberCount()` n
/// (n ≥ `MIN_MEMBERS` = 3, so at least two agencies always agree). A ballot is approved the
/// moment its approvals reach the quorum and rejected the moment its rejections exceed
/// n − quorum (the quorum can no longer be reached). The proposer's approval counts at once.
///
/// The staleness rule. Every membership change increments `membershipEpoch()`. A ballot
/// records the epoch it was opened in and can be voted on or executed only in that epoch; once
/// membership changes it is `Stale` (it must be proposed again), and `expire` closes it. So
/// every approval counted on a ballot is from a member of one and the same membership, and
/// "⌈2n/3⌉ of the current members" holds exactly, with O(1) work per vote and no loops.
interface IConsortium {
    /// @notice What a ballot decides.
    enum BallotKind {
        Admission,
        Removal,
        Trace
    }

    /// @notice Where a ballot stands. `Stale` is computed by `ballotOf` for a pending ballot of
    /// an earlier membership epoch; `Expired` also for a pending ballot past its deadline.
    enum BallotStatus {
        Pending,
        Approved,
        Rejected,
        Expired,
        Stale
    }

    /// @notice Why `expire` closed a ballot.
    enum ExpiryReason {
        DeadlinePassed,
        MembershipChanged
    }

    /// @notice The record of one group-signed upload, as submitted by its agency.
    /// @param agency The member that submitted it (the signer's group manager).
    /// @param blockCount Number of blocks of the uploaded file.
    /// @param submittedAt Block timestamp of the submission, in seconds.
    /// @param groupKeyHash The agency's group key hash at submission: the key the signature is
    /// checked against, even after the agency rotates its key.
    /// @param merkleRoot Root of the Merkle tree over the file's blocks.
    /// @param signatureHash Hash of the group signature on the upload.
    struct Record {
        address agency; // agency, blockCount and submittedAt share one slot
        uint64 blockCount;
        uint32 submittedAt;
        bytes32 groupKeyHash;
        bytes32 merkleRoot;
        bytes32 signatureHash;
    }

    /// @notice A ballot (admission, removal or trace request).
    /// @param proposer The member that opened it.
    /// @param deadline Last timestamp at which votes count, in seconds.
    /// @param kind What it decides.
    /// @param status Its status (computed by `ballotOf`, see `BallotStatus`).
    /// @param epoch The membership epoch it was opened in; it is valid only in that epoch.
    /// @param approvals Approvals so far, the proposer's included.
    /// @param rejections Rejections so far.
    /// @param subject The candidate or member (as `bytes32(uint256(uint160(account)))`) for
    /// admissions and removals, the record's file id for traces.
    /// @param reasonHash Hash of the trace request's justification (zero for other kinds).
    /// @param recordAgency The agency that submitted the traced record (zero for other kinds).
    struct Ballot {
        address proposer; // proposer, deadline, kind and status share one slot
        uint64 deadline;
        BallotKind kind;
        BallotStatus status;
        uint64 epoch; // epoch and the two tallies share one slot
        uint64 approvals;
        uint64 rejections;
        bytes32 subject;
        bytes32 reasonHash;
        address recordAgency;
    }

    /// @notice An agency set or rotated its group key.
    /// @param agency The member.
    /// @param groupKeyHash Hash of its group public key (covering the seed and the setup proof).
    /// @param groupKeySeed The public seed the key's bases a, a0, g, h are hashed from.
    event GroupKeySet(address indexed agency, bytes32 groupKeyHash, bytes32 groupKeySeed);

    /// @notice An agency submitted the record of a group-signed upload.
    /// @param fileId The upload's id.
    /// @param agency The submitting member.
    /// @param merkleRoot Root of the file's block Merkle tree.
    /// @param blockCount Number of blocks.
    /// @param signatureHash Hash of the group signature.
    /// @param groupKeyHash The agency's group key hash at submission.
    event RecordSubmitted(
        bytes32 indexed fileId,
        address indexed agency,
        bytes32 merkleRoot,
        uint64 blockCount,
        bytes32 signatureHash,
        bytes32 groupKeyHash
    );

    /// @notice A member opened a ballot (its own approval follows as a `Voted` event).
    /// @param ballotId The ballot's id (1 for the first, then increasing by one).
    /// @param kind What it decides.
    /// @param proposer The member that opened it.
    /// @param subject The candidate or member (left-padded address) or the traced file id.
    /// @param recordAgency The agency of the traced record; zero for other kinds.
    /// @param reasonHash Hash of a trace request's justification; zero for other kinds.
    /// @param deadline Last timestamp at which votes count.
    /// @param epoch The membership epoch it belongs to.
    event BallotOpened(
        uint256 indexed ballotId,
        BallotKind kind,
        address indexed proposer,
        bytes32 subject,
        address recordAgency,
        bytes32 reasonHash,
        uint64 deadline,
        uint64 epoch
    );

    /// @notice A member voted (the proposer's approval at opening included).
    /// @param ballotId The ballot.
    /// @param voter The member.
    /// @param support True to approve, false to reject.
    /// @param approvals Approvals after this vote.
    /// @param rejections Rejections after this vote.
    event Voted(uint256 indexed ballotId, address indexed voter, bool support, uint256 approvals, uint256 rejections);

    /// @notice An agency became a member: a founder at deployment or an approved admission.
    /// It has no group key until it sets one.
    /// @param agency The new member.
    /// @param ballotId The approved admission ballot; 0 for founders.
    /// @param epoch The membership epoch from now on (0 for founders).
    /// @param memberCount The number of members from now on.
    event MemberAdmitted(address indexed agency, uint256 indexed ballotId, uint64 epoch, uint256 memberCount);

    /// @notice An approved removal took effect; the agency's group key was cleared with it.
    /// @param agency The removed member.
    /// @param ballotId The approved removal ballot.
    /// @param epoch The membership epoch from now on.
    /// @param memberCount The number of members from now on.
    event MemberRemoved(address indexed agency, uint256 indexed ballotId, uint64 epoch, uint256 memberCount);

    /// @notice A trace request reached the quorum: the public proof that the consortium
    /// approved revealing the signer of record (`recordAgency`, `fileId`).
    /// @param ballotId The trace ballot.
    /// @param fileId The traced record's file id.
    /// @param recordAgency The agency that submitted the traced record.
    /// @param approvals Approvals counted.
    /// @param memberCount The number of members of the ballot's epoch.
    /// @param quorum The quorum of that membership, ⌈2n/3⌉.
    event TraceApproved(
        uint256 indexed ballotId,
        bytes32 indexed fileId,
        address indexed recordAgency,
        uint256 approvals,
        uint256 memberCount,
        uint256 quorum
    );

    /// @notice A ballot's rejections made its quorum unreachable.
    /// @param ballotId The ballot.
    /// @param approvals Approvals counted.
    /// @param rejections Rejections counted.
    event BallotRejected(uint256 indexed ballotId, uint256 approvals, uint256 rejections);

    /// @notice A pending ballot was closed without a decision.
    /// @param ballotId The ballot.
    /// @param reason Its deadline passed, or the membership changed since it was opened.
    event BallotExpired(uint256 indexed ballotId, ExpiryReason reason);

    /// @notice The agency that submitted a traced record published the opening of its signature.
    /// @param ballotId The approved trace ballot.
    /// @param fileId The traced record.
    /// @param agency The publishing agency (the record's).
    /// @param signer The account of the user who signed the upload.
    /// @param opening The public opening, encoded by `offchain`: the signer's group certificate,
    /// its join receipt and a Chaum–Pedersen proof that the opening is correct; its keccak256 is
    /// stored.
    event TraceOpened(
        uint256 indexed ballotId, bytes32 indexed fileId, address indexed agency, address signer, bytes opening
    );

    /// @notice The caller (or the account named) is not a current member.
    /// @param account The account.
    error ConsortiumNotMember(address account);

    /// @notice The account is a member already (an admission of a member, or a repeated founder).
    /// @param account The account.
    error ConsortiumAlreadyMember(address account);

    /// @notice The action would leave (or found) a consortium below `MIN_MEMBERS`.
    /// @param memberCount The number of members it would leave.
    /// @param minimum `MIN_MEMBERS`.
    error ConsortiumBelowMinimum(uint256 memberCount, uint256 minimum);

    /// @notice The voting period is not in 1 .. `MAX_VOTING_PERIOD` seconds.
    /// @param votingPeriod The period given.
    /// @param maxVotingPeriod `MAX_VOTING_PERIOD`.
    error ConsortiumInvalidVotingPeriod(uint64 votingPeriod, uint64 maxVotingPeriod);

    /// @notice A required argument was zero (or the zero address).
    /// @param field Its name ("founder", "candidate", "groupKeyHash", "groupKeySeed", "fileId",
    /// "merkleRoot", "blockCount", "signatureHash", "reasonHash" or "signer").
    error ConsortiumZeroField(string field);

    /// @notice The member has not set a group key, so its records could not be checked.
    /// @param agency The member.
    error ConsortiumGroupKeyNotSet(address agency);

    /// @notice The agency already submitted a record under this file id.
    /// @param fileId The id.
    /// @param agency The agency (the caller).
    error ConsortiumRecordAlreadySubmitted(bytes32 fileId, address agency);

    /// @notice The agency submitted no record under this file id.
    /// @param agency The agency asked for.
    /// @param fileId The id asked for.
    error ConsortiumUnknownRecord(address agency, bytes32 fileId);

    /// @notice No ballot was opened under this id.
    /// @param ballotId The id asked for.
    error ConsortiumUnknownBallot(uint256 ballotId);

    /// @notice The ballot was already decided or expired.
    /// @param ballotId The ballot.
    /// @param status Its stored status.
    error ConsortiumBallotNotPending(uint256 ballotId, BallotStatus status);

    /// @notice The ballot belongs to an earlier membership: propose it again.
    /// @param ballotId The ballot.
    /// @param ballotEpoch The epoch it was opened in.
    /// @param currentEpoch The current membership epoch.
    error ConsortiumBallotStale(uint256 ballotId, uint64 ballotEpoch, uint64 currentEpoch);

    /// @notice The ballot's deadline has passed.
    /// @param ballotId The ballot.
    /// @param deadline Its deadline.
    error ConsortiumBallotExpired(uint256 ballotId, uint64 deadline);

    /// @notice The ballot may still be voted on, so it cannot be expired.
    /// @param ballotId The ballot.
    /// @param deadline Its deadline.
    error ConsortiumBallotStillOpen(uint256 ballotId, uint64 deadline);

    /// @notice The member already voted on this ballot.
    /// @param ballotId The ballot.
    /// @param voter The member.
    error ConsortiumAlreadyVoted(uint256 ballotId, address voter);

    /// @notice An opening needs an approved trace ballot.
    /// @param ballotId The ballot.
    /// @param kind Its kind.
    /// @param status Its status.
    error ConsortiumNotApprovedTrace(uint256 ballotId, BallotKind kind, BallotStatus status);

    /// @notice Only the agency that submitted the traced record may open its signature.
    /// @param fileId The traced record.
    /// @param caller The account that tried.
    /// @param agency The record's agency.
    error ConsortiumNotRecordAgency(bytes32 fileId, address caller, address agency);

    /// @notice The trace was already opened.
    /// @param ballotId The trace ballot.
    error ConsortiumAlreadyOpened(uint256 ballotId);

    /// @notice The opening to publish was empty.
    error ConsortiumEmptyOpening();

    /// @notice There is no member at this position.
    /// @param index The position asked for.
    /// @param memberCount The number of members.
    error ConsortiumMemberIndexOutOfRange(uint256 index, uint256 memberCount);

    /// @notice No opening was published for this ballot.
    /// @param ballotId The ballot.
    error ConsortiumNotOpened(uint256 ballotId);

    /// @notice The smallest consortium: with fewer agencies one or two could trace alone.
    /// @return minimum 3.
    function MIN_MEMBERS() external view returns (uint256 minimum);

    /// @notice The longest voting period accepted, in seconds (deadlines stay far from overflow).
    /// @return maxVotingPeriod 365 days.
    function MAX_VOTING_PERIOD() external view returns (uint64 maxVotingPeriod);

    /// @notice Set or rotate the caller's group key: its hash and the public seed of its bases.
    /// @dev Only members (`ConsortiumNotMember`); reverts with `ConsortiumZeroField("groupKeyHash")`
    /// or `ConsortiumZeroField("groupKeySeed")` on zero. Records keep the key hash of their
    /// submission. Emits `GroupKeySet`.
    /// WARNING: the contract cannot check the key. Anyone loading it checks off chain that its
    /// hash is `groupKeyHash`, that its bases are those hashed from `groupKeySeed` and that its
    /// proof about the modulus holds (`offchain.crypto.group_signature.check_group_setup`).
    /// @param groupKeyHash Hash of the agency's group public key (covers the seed and the
    /// setup proof).
    /// @param groupKeySeed The seed the key's bases a, a0, g, h are hashed from (nonzero).
    function setGroupKey(bytes32 groupKeyHash, bytes32 groupKeySeed) external;

    /// @notice Record an upload that one of the caller's users group-signed, as record
    /// (caller, `fileId`).
    /// @dev Only members (`ConsortiumNotMember`) with a group key (`ConsortiumGroupKeyNotSet`).
    /// Reverts with `ConsortiumZeroField` on a zero id, root, block count or signature hash and
    /// with `ConsortiumRecordAlreadySubmitted` on an id the caller used before; another agency's
    /// use of the same id does not matter. Emits `RecordSubmitted`. The
    /// contract does not verify the group signature (an ACJT signature is far too costly for the
    /// EVM): the agency checked it before submitting, and anyone re-checks it off chain against
    /// the recorded key hash and signature hash.
    /// @param fileId The upload's id.
    /// @param merkleRoot Root of the file's block Merkle tree.
    /// @param blockCount Number of blocks, at least 1.
    /// @param signatureHash Hash of the group signature on the upload.
    function submitRecord(bytes32 fileId, bytes32 merkleRoot, uint64 blockCount, bytes32 signatureHash) external;

    /// @notice Propose admitting `candidate` as a member.
    /// @dev Only members. Reverts with `ConsortiumZeroField("candidate")` or
    /// `ConsortiumAlreadyMember`. Emits `BallotOpened` and the proposer's `Voted`.
    /// @param candidate The agency's account.
    /// @return ballotId The new ballot's id.
    function proposeAdmission(address candidate) external returns (uint256 ballotId);

    /// @notice Propose removing `member`.
    /// @dev Only members. Reverts with `ConsortiumNotMember(member)` if it is not a member and
    /// `ConsortiumBelowMinimum` if the removal would leave fewer than `MIN_MEMBERS`. Emits
    /// `BallotOpened` and the proposer's `Voted`. A member may propose its own removal.
    /// @param member The member's account.
    /// @return ballotId The new ballot's id.
    function proposeRemoval(address member) external returns (uint256 ballotId);

    /// @notice Ask the consortium to approve opening the signature of record (`agency`, `fileId`).
    /// @dev Only members. Reverts with `ConsortiumUnknownRecord` or
    /// `ConsortiumZeroField("reasonHash")`. Emits `BallotOpened` and the proposer's `Voted`.
    /// The same record may be the subject of several requests.
    /// @param agency The agency that submitted the record.
    /// @param fileId The record's file id.
    /// @param reasonHash Hash of the justification (e.g. of a court order or dispute file).
    /// @return ballotId The new ballot's id.
    function requestTrace(address agency, bytes32 fileId, bytes32 reasonHash) external returns (uint256 ballotId);

    /// @notice Approve or reject a ballot.
    /// @dev Only members (`ConsortiumNotMember`), once per ballot (`ConsortiumAlreadyVoted`).
    /// Reverts with `ConsortiumUnknownBallot`, `ConsortiumBallotNotPending` (decided or
    /// expired), `ConsortiumBallotStale` (opened in an earlier membership epoch) or
    /// `ConsortiumBallotExpired` (after the deadline). Emits `Voted`. When approvals reach
    /// `quorum()` the ballot is approved in this call: an admission or removal takes effect
    /// (`MemberAdmitted`, `MemberRemoved`; the removal reverts with `ConsortiumBelowMinimum` if
    /// it would leave fewer than `MIN_MEMBERS`) and a trace emits `TraceApproved`. When
    /// rejections exceed n − quorum it is rejected (`BallotRejected`).
    /// @param ballotId The ballot.
    /// @param support True to approve, false to reject.
    function vote(uint256 ballotId, bool support) external;

    /// @notice Close a pending ballot that can no longer be decided: past its deadline, or stale.
    /// @dev Anyone may call. Reverts with `ConsortiumUnknownBallot`, `ConsortiumBallotNotPending`
    /// or `ConsortiumBallotStillOpen`. Emits `BallotExpired` (a stale ballot's reason is
    /// `MembershipChanged`, even if its deadline passed too).
    /// @param ballotId The ballot.
    function expire(uint256 ballotId) external;

    /// @notice Publish the opening of an approved trace: who signed the traced upload.
    /// @dev Only the agency that submitted the record (`ConsortiumNotRecordAgency`) while it is a
    /// member (`ConsortiumNotMember`), once per ballot (`ConsortiumAlreadyOpened`). Reverts with
    /// `ConsortiumUnknownBallot`, `ConsortiumNotApprovedTrace`, `ConsortiumZeroField("signer")`
    /// or `ConsortiumEmptyOpening`. Stores the signer and keccak256(opening); the bytes travel in
    /// `TraceOpened` only. NOTE: the contract does not check the opening; anyone can, off chain,
    /// against the record's group key and signature.
    /// @param ballotId The approved trace ballot.
    /// @param signer The account of the user who signed the upload.
    /// @param opening The encoded opening (certificate, join receipt, Chaum–Pedersen proof).
    function publishOpening(uint256 ballotId, address signer, bytes calldata opening) external;

    /// @notice The number of members.
    /// @return count n.
    function memberCount() external view returns (uint256 count);

    /// @notice The member at position `index` (0-based; positions change on removals).
    /// @dev Reverts with `ConsortiumMemberIndexOutOfRange` if `index >= memberCount()`.
    /// @param index The position.
    /// @return member Its account.
    function memberAt(uint256 index) external view returns (address member);

    /// @notice Whether `account` is a current member.
    /// @param account The account.
    /// @return member True if it is.
    function isMember(address account) external view returns (bool member);

    /// @notice Approvals that decide a ballot now: ⌈2n/3⌉ = (2n + 2) / 3 of n members.
    /// @return approvalsNeeded The quorum.
    function quorum() external view returns (uint256 approvalsNeeded);

    /// @notice The current membership epoch: 0 at deployment, +1 at every admission or removal.
    /// @return epoch The epoch.
    function membershipEpoch() external view returns (uint64 epoch);

    /// @notice How long a ballot stays open, in seconds.
    /// @return period The voting period.
    function votingPeriod() external view returns (uint64 period);

    /// @notice The group key hash `agency` set (zero if none, or if it was removed since).
    /// @param agency The account.
    /// @return groupKeyHash The hash.
    function groupKeyOf(address agency) external view returns (bytes32 groupKeyHash);

    /// @notice The seed of the group key `agency` set (zero if none, or if it was removed since).
    /// @param agency The account.
    /// @return groupKeySeed The seed the key's bases are hashed from.
    function groupKeySeedOf(address agency) external view returns (bytes32 groupKeySeed);

    /// @notice The record `agency` submitted under `fileId`.
    /// @dev Reverts with `ConsortiumUnknownRecord` if it submitted none.
    /// @param agency The submitting agency.
    /// @param fileId The upload's id.
    /// @return record The record.
    function recordOf(address agency, bytes32 fileId) external view returns (Record memory record);

    /// @notice The number of ballots opened, which is also the latest ballot's id.
    /// @return count The number of ballots.
    function ballotCount() external view returns (uint256 count);

    /// @notice Ballot `ballotId` with its status as of now (`Stale` or `Expired` computed for a
    /// pending ballot that can no longer be decided; the stored status changes at `expire`).
    /// @dev Reverts with `ConsortiumUnknownBallot` if no ballot has this id.
    /// @param ballotId The ballot.
    /// @return ballot The ballot.
    function ballotOf(uint256 ballotId) external view returns (Ballot memory ballot);

    /// @notice Whether `member` voted on ballot `ballotId` (the proposer did, at opening).
    /// @param ballotId The ballot.
    /// @param member The account.
    /// @return voted True if it voted.
    function hasVoted(uint256 ballotId, address member) external view returns (bool voted);

    /// @notice The opening published for trace ballot `ballotId`.
    /// @dev Reverts with `ConsortiumNotOpened` if none was. The bytes are in `TraceOpened`.
    /// @param ballotId The trace ballot.
    /// @return signer The account that signed the traced upload.
    /// @return openingHash keccak256 of the opening bytes.
    /// @return openedAt Block timestamp of the publication, in seconds.
    function openingOf(uint256 ballotId) external view returns (address signer, bytes32 openingHash, uint64 openedAt);
}
