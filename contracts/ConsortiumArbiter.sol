// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IConsortiumArbiter} from "../interfaces/IConsortiumArbiter.sol";
import {IDataMarket} from "../interfaces/IDataMarket.sol";

/// @title ConsortiumArbiter
/// @notice The arbiter of `DataMarket` disputes by a 2/3 vote of the `Consortium`'s agencies
/// (research: Huang, Chen, Wang 2020, §3: no single agency decides alone; here, whether a data
/// owner delivered what it proved).
/// @dev Trust assumptions: the consortium's members are trusted to check, off chain, whether
/// the data the owner delivered opens its registered commitment and meets the requirement (the
/// buyer shows them what it received); the contract only counts their votes, with the
/// consortium's quorum and membership epochs, and forwards the carried ruling to the market.
/// Members that are themselves a party to the dispute still vote. Storage: one slot per vote,
/// one per dispute and epoch (the tally), one per ruling; no loops.
contract ConsortiumArbiter is IConsortiumArbiter {
    /// @inheritdoc IConsortiumArbiter
    IConsortium public immutable consortium;
    /// @inheritdoc IConsortiumArbiter
    IDataMarket public immutable market;

    mapping(uint256 matchId => mapping(uint64 epoch => Tally)) private _tallies;
    mapping(uint256 matchId => mapping(uint64 epoch => mapping(address member => bool))) private _hasVoted;
    mapping(uint256 matchId => Ruling) private _rulings;

    /// @notice Arbitrate the disputes of `market_` by votes of `consortium_`'s members.
    /// @dev Reverts with `ConsortiumArbiterNoCode` if either has no code.
    /// @param consortium_ The consortium whose members vote.
    /// @param market_ The market whose disputes are settled.
    constructor(IConsortium consortium_, IDataMarket market_) {
        if (address(consortium_).code.length == 0) revert ConsortiumArbiterNoCode(address(consortium_));
        if (address(market_).code.length == 0) revert ConsortiumArbiterNoCode(address(market_));
        consortium = consortium_;
        market = market_;
    }

    /// @inheritdoc IConsortiumArbiter
    function vote(uint256 matchId, bool payOwner) external {
        if (!consortium.isMember(msg.sender)) revert ConsortiumArbiterNotMember(msg.sender);
        if (_rulings[matchId].decided) revert ConsortiumArbiterAlreadyDecided(matchId);
        (IDataMarket.MatchState state, address arbiter) = market.arbitrationOf(matchId);
        if (state != IDataMarket.MatchState.Disputed) revert ConsortiumArbiterNotDisputed(matchId, state);
        if (arbiter != address(this)) revert ConsortiumArbiterNotArbiter(matchId, arbiter);
        uint64 epoch = consortium.membershipEpoch();
        if (_hasVoted[matchId][epoch][msg.sender]) revert ConsortiumArbiterAlreadyVoted(matchId, epoch, msg.sender);

        _hasVoted[matchId][epoch][msg.sender] = true;
        Tally storage tally = _tallies[matchId][epoch];
        uint256 votes = payOwner ? ++tally.payOwnerVotes : ++tally.refundVotes;
        emit DisputeVoted(matchId, msg.sender, epoch, payOwner, votes);
        uint256 quorum = consortium.quorum();
        if (votes < quorum) return;

        bytes32 rulingHash = rulingHashOf(matchId, epoch, payOwner);
        _rulings[matchId] = Ruling({decided: true, payOwner: payOwner, epoch: epoch});
        emit DisputeRuled(matchId, payOwner, epoch, votes, quorum, rulingHash);
        market.settleDispute(matchId, payOwner, rulingHash);
    }

    /// @inheritdoc IConsortiumArbiter
    function tallyOf(uint256 matchId, uint64 epoch) external view returns (Tally memory tally) {
        return _tallies[matchId][epoch];
    }

    /// @inheritdoc IConsortiumArbiter
    function hasVoted(uint256 matchId, uint64 epoch, address member) external view returns (bool voted) {
        return _hasVoted[matchId][epoch][member];
    }

    /// @inheritdoc IConsortiumArbiter
    function rulingOf(uint256 matchId) external view returns (Ruling memory ruling) {
        return _rulings[matchId];
    }

    /// @inheritdoc IConsortiumArbiter
    function rulingHashOf(uint256 matchId, uint64 epoch, bool payOwner) public view returns (bytes32 rulingHash) {
        return keccak256(abi.encode(address(this), matchId, epoch, payOwner));
    }
}
