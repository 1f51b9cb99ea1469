// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IConsortium} from "../interfaces/IConsortium.sol";
import {IDeviceRegistry} from "../interfaces/IDeviceRegistry.sol";

/// @title DeviceRegistry
/// @notice The consortium's agencies register classes of data-source devices with their golden
/// PCR digests (versioned) and admit the devices' attestation keys, so that a receiver can check
/// a device's quote before it accepts an upload (research: Peng, Zhu, Wang, Hu, Song, Wang,
/// "Towards Decentralized Privacy-Preserving of Encrypted Data Sharing Protocol", steps (1)–(5):
/// Quote = Sign_PIK(PCR, nonce, Updata), checked against the expected PCR). See
/// `IDeviceRegistry` for the life of a class.
/// @dev Trust assumptions. Each class's agency is trusted to publish the digest of software it
/// vetted and to admit only keys it saw bound to a device of the class (for a TPM, a key it
/// certified under the TPM's endorsement key; the contract cannot tell a TPM key from a software
/// one). A class whose agency leaves the consortium is frozen: nobody can update or revoke it
/// (its devices stay as they were), so receivers should also require the agency's membership.
/// The contract checks no quote: signatures and nonces are verified off chain, where
/// `isTrusted` is the state half of the check. No ether is held or sent; no loops. Storage: a
/// class is one slot, a measurement two, a device one.
contract DeviceRegistry is IDeviceRegistry {
    /// @inheritdoc IDeviceRegistry
    uint256 public constant MAX_KEY_BYTES = 512;

    /// @inheritdoc IDeviceRegistry
    IConsortium public immutable consortium;

    mapping(bytes32 classId => DeviceClass) private _classes;
    mapping(bytes32 classId => mapping(uint32 version => Measurement)) private _measurements;
    mapping(bytes32 deviceId => Device) private _devices;

    /// @notice A registry whose classes are managed by the members of `consortium_`.
    /// @dev Reverts with `DeviceRegistryNoCode` if `consortium_` has no code.
    /// @param consortium_ The consortium.
    constructor(IConsortium consortium_) {
        if (address(consortium_).code.length == 0) revert DeviceRegistryNoCode(address(consortium_));
        consortium = consortium_;
    }

    /// @inheritdoc IDeviceRegistry
    function registerClass(bytes32 classId, bytes32 pcrDigest, bool attestationRequired) external {
        if (!consortium.isMember(msg.sender)) revert DeviceRegistryNotAgency(msg.sender);
        if (classId == bytes32(0)) revert DeviceRegistryZeroField("classId");
        if (pcrDigest == bytes32(0)) revert DeviceRegistryZeroField("pcrDigest");
        if (_classes[classId].agency != address(0)) revert DeviceRegistryClassExists(classId);

        _classes[classId] = DeviceClass({
            agency: msg.sender,
            attestationRequired: attestationRequired,
            currentVersion: 1,
            registeredAt: uint32(block.timestamp) // fits until the year 2106
        });
        _measurements[classId][1] = Measurement({pcrDigest: pcrDigest, setAt: uint64(block.timestamp), revokedAt: 0});
        emit DeviceClassRegistered(classId, msg.sender, pcrDigest, attestationRequired);
        emit MeasurementSet(classId, 1, pcrDigest);
    }

    /// @inheritdoc IDeviceRegistry
    function setMeasurement(bytes32 classId, bytes32 pcrDigest) external returns (uint32 version) {
        DeviceClass storage deviceClass = _managedClass(classId);
        if (pcrDigest == bytes32(0)) revert DeviceRegistryZeroField("pcrDigest");
        version = deviceClass.currentVersion + 1;
        deviceClass.currentVersion = version;
        _measurements[classId][version] =
            Measurement({pcrDigest: pcrDigest, setAt: uint64(block.timestamp), revokedAt: 0});
        emit MeasurementSet(classId, version, pcrDigest);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeMeasurement(bytes32 classId, uint32 version) external {
        DeviceClass storage deviceClass = _managedClass(classId);
        uint32 current = deviceClass.currentVersion;
        if (version == 0 || version > current) revert DeviceRegistryUnknownMeasurement(classId, version, current);
        Measurement storage measurement = _measurements[classId][version];
        if (measurement.revokedAt != 0) revert DeviceRegistryMeasurementRevoked(classId, version);
        measurement.revokedAt = uint64(block.timestamp);
        emit MeasurementRevoked(classId, version);
    }

    /// @inheritdoc IDeviceRegistry
    function admitDevice(bytes32 classId, bytes calldata attestationKey) external returns (bytes32 deviceId) {
        _managedClass(classId);
        uint256 length = attestationKey.length;
        if (length == 0) revert DeviceRegistryZeroField("attestationKey");
        if (length > MAX_KEY_BYTES) revert DeviceRegistryKeyTooLong(length, MAX_KEY_BYTES);
        deviceId = keccak256(attestationKey);
        if (_devices[deviceId].classId != bytes32(0)) revert DeviceRegistryDeviceExists(deviceId);

        _devices[deviceId] = Device({classId: classId, admittedAt: uint64(block.timestamp), revokedAt: 0});
        emit DeviceAdmitted(deviceId, classId, attestationKey);
    }

    /// @inheritdoc IDeviceRegistry
    function revokeDevice(bytes32 deviceId) external {
        Device storage device = _devices[deviceId];
        bytes32 classId = device.classId;
        if (classId == bytes32(0)) revert DeviceRegistryUnknownDevice(deviceId);
        _managedClass(classId);
        if (device.revokedAt != 0) revert DeviceRegistryDeviceRevoked(deviceId);
        device.revokedAt = uint64(block.timestamp);
        emit DeviceRevoked(deviceId, classId);
    }

    /// @inheritdoc IDeviceRegistry
    function classOf(bytes32 classId) external view returns (DeviceClass memory deviceClass) {
        return _classes[classId];
    }

    /// @inheritdoc IDeviceRegistry
    function measurementOf(bytes32 classId, uint32 version) external view returns (Measurement memory measurement) {
        return _measurements[classId][version];
    }

    /// @inheritdoc IDeviceRegistry
    function deviceOf(bytes32 deviceId) external view returns (Device memory device) {
        return _devices[deviceId];
    }

    /// @inheritdoc IDeviceRegistry
    function isTrusted(bytes32 deviceId, bytes32 pcrDigest) external view returns (bool trusted) {
        Device storage device = _devices[deviceId];
        bytes32 classId = device.classId;
        if (classId == bytes32(0) || device.revokedAt != 0) return false;
        Measurement storage current = _measurements[classId][_classes[classId].currentVersion];
        return current.revokedAt == 0 && current.pcrDigest == pcrDigest;
    }

    /// @dev The class `classId`, if the caller is its agency and still a consortium member.
    function _managedClass(bytes32 classId) private view returns (DeviceClass storage deviceClass) {
        deviceClass = _classes[classId];
        address agency = deviceClass.agency;
        if (agency == address(0)) revert DeviceRegistryUnknownClass(classId);
        if (agency != msg.sender) revert DeviceRegistryNotClassAgency(classId, msg.sender, agency);
        if (!consortium.isMember(msg.sender)) revert DeviceRegistryNotAgency(msg.sender);
    }
}
