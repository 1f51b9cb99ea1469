// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";
import {IDataMarket} from "./IDataMarket.sol";

/// @title IConsortiumArbiter
/// @notice Settles `DataMarket` disputes by a 2/3 vote of the `Consortium`'s agencies: a buyer
/// who names this contract as a requirement's arbiter lets the consortium rule on its disputes.
/// @dev The rule is the consortium's own: a ruling (pay the owner, or refund the buyer) is
/// carried the moment its votes reach `consortium.quorum()`, ⌈2n/3⌉ of the n current members,
/// and the market is told in the same transaction. Votes are counted per membership epoch: once
/// membership changes, votes of the earlier epoch no longer count and every member may vote
/// again (so every counted vote comes from one and the same membership, as in `Consortium`).
/// Since the quorum exceeds n/2, at most one ruling can reach it in an epoch. NOTE: a split
/// vote (e.g. two against two of four) decides nothing until membership changes; the dispute
/// stays frozen meanwhile.
interface IConsortiumArbiter {
    /// @notice The votes of one membership epoch on one dispute.
    /// @param payOwnerVotes Votes to pay the owner.
    /// @param refundVotes Votes to refund the buyer.
    struct Tally {
        uint128 payOwnerVotes; // one slot per dispute and epoch
        uint128 refundVotes;
    }

    /// @notice The ruling carried on a dispute.
    /// @param decided Whether a ruling was carried.
    /// @param payOwner True if it pays the owner, false if it refunds the buyer.
    /// @param epoch The membership epoch whose votes carried it.
    struct Ruling {
        bool decided;
        bool payOwner;
        uint64 epoch;
    }

    /// @notice A member voted on a dispute.
    /// @param matchId The disputed match.
    /// @param member The voting agency.
    /// @param epoch The membership epoch the vote counts in.
    /// @param payOwner True to pay the owner, false to refund the buyer.
    /// @param votes The votes for this ruling in this epoch, this one included.
    event DisputeVoted(
        uint256 indexed matchId, address indexed member, uint64 indexed epoch, bool payOwner, uint256 votes
    );

    /// @notice A ruling reached the quorum; the market was told to settle the dispute.
    /// @param matchId The disputed match.
    /// @param payOwner True if the owner is paid, false if the buyer is refunded.
    /// @param epoch The membership epoch whose votes carried it.
    /// @param votes The votes for it.
    /// @param quorum The quorum, ⌈2n/3⌉ of the members of that epoch.
    /// @param rulingHash The ruling hash passed to the market, see `rulingHashOf`.
    event DisputeRuled(
        uint256 indexed matchId, bool payOwner, uint64 indexed epoch, uint256 votes, uint256 quorum, bytes32 rulingHash
    );

    /// @notice The consortium or the market has no code.
    /// @param account The address given.
    error ConsortiumArbiterNoCode(address account);

    /// @notice The caller is not a current member of the consortium.
    /// @param account The caller.
    error ConsortiumArbiterNotMember(address account);

    /// @notice A ruling was carried on this dispute already.
    /// @param matchId The match.
    error ConsortiumArbiterAlreadyDecided(uint256 matchId);

    /// @notice The match is not disputed.
    /// @param matchId The match.
    /// @param state Its state in the market.
    error ConsortiumArbiterNotDisputed(uint256 matchId, IDataMarket.MatchState state);

    /// @notice This contract is not the arbiter of the match's requirement.
    /// @param matchId The match.
    /// @param arbiter The requirement's arbiter.
    error ConsortiumArbiterNotArbiter(uint256 matchId, address arbiter);

    /// @notice The member voted on this dispute in this membership epoch already.
    /// @param matchId The match.
    /// @param epoch The epoch.
    /// @param member The member.
    error ConsortiumArbiterAlreadyVoted(uint256 matchId, uint64 epoch, address member);

    /// @notice The consortium whose members vote.
    /// @return votingConsortium The `Consortium`.
    function consortium() external view returns (IConsortium votingConsortium);

    /// @notice The market whose disputes this contract settles.
    /// @return dataMarket The `DataMarket`.
    function market() external view returns (IDataMarket dataMarket);

    /// @notice Vote on a disputed match: pay its owner, or refund its buyer.
    /// @dev Only current consortium members (`ConsortiumArbiterNotMember`), once per match and
    /// membership epoch (`ConsortiumArbiterAlreadyVoted`). Reverts with
    /// `ConsortiumArbiterAlreadyDecided`, `ConsortiumArbiterNotDisputed`,
    /// `ConsortiumArbiterNotArbiter` (another arbiter's requirement), or the market's
    /// `DataMarketUnknownMatch`. Emits `DisputeVoted`; the vote that brings a ruling to
    /// `consortium.quorum()` also records the ruling, emits `DisputeRuled` and calls
    /// `market.settleDispute` (effects first).
    /// @param matchId The disputed match.
    /// @param payOwner True to pay the owner, false to refund the buyer.
    function vote(uint256 matchId, bool payOwner) external;

    /// @notice The votes on a dispute in a membership epoch.
    /// @param matchId The match.
    /// @param epoch The membership epoch.
    /// @return tally Votes for each ruling.
    function tallyOf(uint256 matchId, uint64 epoch) external view returns (Tally memory tally);

    /// @notice Whether `member` voted on a dispute in a membership epoch.
    /// @param matchId The match.
    /// @param epoch The membership epoch.
    /// @param member The account.
    /// @return voted True if it voted.
    function hasVoted(uint256 matchId, uint64 epoch, address member) external view returns (bool voted);

    /// @notice The ruling carried on a dispute (all zero while none is).
    /// @param matchId The match.
    /// @return ruling The ruling.
    function rulingOf(uint256 matchId) external view returns (Ruling memory ruling);

    /// @notice The ruling hash this contract passes to the market:
    /// keccak256(abi.encode(address(this), matchId, epoch, payOwner)), which names the tally on
    /// chain that carried the ruling.
    /// @param matchId The match.
    /// @param epoch The membership epoch whose votes carried it.
    /// @param payOwner The ruling.
    /// @return rulingHash The hash.
    function rulingHashOf(uint256 matchId, uint64 epoch, bool payOwner) external view returns (bytes32 rulingHash);
}
