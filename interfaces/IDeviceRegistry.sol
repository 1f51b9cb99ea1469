// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IConsortium} from "./IConsortium.sol";

/// @title IDeviceRegistry
/// @notice The consortium's register of data-source devices for attested uploads (research:
/// Peng, Zhu, Wang, Hu, Song, Wang, "Towards Decentralized Privacy-Preserving of Encrypted Data
/// Sharing Protocol", steps (1)–(5), Eq. 1–9: a node proves with a quote signed by its platform
/// identity key that its measured software state, its PCR values, is the expected one).
/// @dev The life of a class and its devices. An agency of the `Consortium` registers a device
/// class (`registerClass`) with the golden PCR digest of its expected software (measurement
/// version 1) and whether uploads from it must carry a quote; it alone manages the class while it
/// is a member: it sets new golden digests (`setMeasurement`: version 2, 3, … — only the newest
/// is current), revokes a version (`revokeMeasurement`: a quote over it is refused, even if it is
/// the current one, until a new version is set), admits devices' attestation public keys
/// (`admitDevice`; the device id is keccak256 of the key bytes) and revokes devices
/// (`revokeDevice`, permanent: a compromised key never comes back). Quotes are checked off
/// chain against this state (`isTrusted` is the same check as a view).
interface IDeviceRegistry {
    /// @notice A device class (one storage slot).
    /// @param agency The consortium member that registered and manages it (zero: unknown class).
    /// @param attestationRequired Whether uploads from its devices must carry a valid quote.
    /// @param currentVersion The newest measurement version (1 after registration).
    /// @param registeredAt When it was registered, in seconds.
    struct DeviceClass {
        address agency;
        bool attestationRequired;
        uint32 currentVersion;
        uint32 registeredAt;
    }

    /// @notice One version of a class's golden measurement (two slots).
    /// @param pcrDigest SHA-256 of the selected PCR values the class's software yields.
    /// @param setAt When it was set, in seconds.
    /// @param revokedAt When it was revoked, in seconds (0: not revoked).
    struct Measurement {
        bytes32 pcrDigest;
        uint64 setAt;
        uint64 revokedAt;
    }

    /// @notice An admitted device (one slot).
    /// @param classId Its class (zero: unknown device).
    /// @param admittedAt When its key was admitted, in seconds.
    /// @param revokedAt When it was revoked, in seconds (0: not revoked).
    struct Device {
        bytes32 classId;
        uint64 admittedAt;
        uint64 revokedAt;
    }

    /// @notice `agency` registered class `classId` with golden digest `pcrDigest` as version 1.
    /// @param classId The class.
    /// @param agency The managing agency.
    /// @param pcrDigest The golden PCR digest, version 1.
    /// @param attestationRequired Whether uploads from the class must carry a quote.
    event DeviceClassRegistered(
        bytes32 indexed classId, address indexed agency, bytes32 pcrDigest, bool attestationRequired
    );

    /// @notice Version `version` of class `classId`'s golden measurement was set (1 at registration).
    /// @param classId The class.
    /// @param version The new current version.
    /// @param pcrDigest Its golden PCR digest.
    event MeasurementSet(bytes32 indexed classId, uint32 indexed version, bytes32 pcrDigest);

    /// @notice Version `version` of class `classId`'s measurement was revoked.
    /// @param classId The class.
    /// @param version The revoked version.
    event MeasurementRevoked(bytes32 indexed classId, uint32 indexed version);

    /// @notice A device's attestation key was admitted to class `classId`.
    /// @param deviceId keccak256(attestationKey).
    /// @param classId Its class.
    /// @param attestationKey The key bytes (e.g. a DER SubjectPublicKeyInfo).
    event DeviceAdmitted(bytes32 indexed deviceId, bytes32 indexed classId, bytes attestationKey);

    /// @notice Device `deviceId` of class `classId` was revoked, for good.
    /// @param deviceId The device.
    /// @param classId Its class.
    event DeviceRevoked(bytes32 indexed deviceId, bytes32 indexed classId);

    /// @notice The caller is not a member of the consortium.
    /// @param account The caller.
    error DeviceRegistryNotAgency(address account);

    /// @notice The caller is not the agency that manages the class.
    /// @param classId The class.
    /// @param caller The caller.
    /// @param agency The managing agency.
    error DeviceRegistryNotClassAgency(bytes32 classId, address caller, address agency);

    /// @notice A field that must be non-zero (or non-empty) is zero.
    /// @param field Its name.
    error DeviceRegistryZeroField(string field);

    /// @notice A class is already registered under this id.
    /// @param classId The class.
    error DeviceRegistryClassExists(bytes32 classId);

    /// @notice No class is registered under this id.
    /// @param classId The id.
    error DeviceRegistryUnknownClass(bytes32 classId);

    /// @notice The class has no measurement of this version.
    /// @param classId The class.
    /// @param version The version asked for.
    /// @param currentVersion The class's newest version.
    error DeviceRegistryUnknownMeasurement(bytes32 classId, uint32 version, uint32 currentVersion);

    /// @notice The measurement version is already revoked.
    /// @param classId The class.
    /// @param version The version.
    error DeviceRegistryMeasurementRevoked(bytes32 classId, uint32 version);

    /// @notice The key is longer than `MAX_KEY_BYTES`.
    /// @param length Its length in bytes.
    /// @param maxLength The most allowed.
    error DeviceRegistryKeyTooLong(uint256 length, uint256 maxLength);

    /// @notice A device with this key was already admitted (revoked keys stay taken).
    /// @param deviceId The device.
    error DeviceRegistryDeviceExists(bytes32 deviceId);

    /// @notice No device is admitted under this id.
    /// @param deviceId The id.
    error DeviceRegistryUnknownDevice(bytes32 deviceId);

    /// @notice The device is already revoked.
    /// @param deviceId The device.
    error DeviceRegistryDeviceRevoked(bytes32 deviceId);

    /// @notice The consortium address has no code.
    /// @param consortium The address given.
    error DeviceRegistryNoCode(address consortium);

    /// @notice The longest attestation key accepted, in bytes.
    /// @return maxBytes 512.
    function MAX_KEY_BYTES() external view returns (uint256 maxBytes);

    /// @notice The consortium whose members manage device classes.
    /// @return registry The consortium.
    function consortium() external view returns (IConsortium registry);

    /// @notice Register class `classId`, managed by the caller, with golden digest `pcrDigest`
    /// as measurement version 1.
    /// @dev Reverts with `DeviceRegistryNotAgency` unless the caller is a consortium member,
    /// `DeviceRegistryZeroField` for a zero id or digest, `DeviceRegistryClassExists` for a taken
    /// id. Emits `DeviceClassRegistered` and `MeasurementSet` (version 1).
    /// @param classId A non-zero id of the caller's choosing (e.g. keccak256 of a model name).
    /// @param pcrDigest SHA-256 of the PCR values the class's software yields.
    /// @param attestationRequired Whether uploads from the class must carry a valid quote.
    function registerClass(bytes32 classId, bytes32 pcrDigest, bool attestationRequired) external;

    /// @notice Set a new golden digest for class `classId` (a software update): it becomes the
    /// current version; quotes over earlier versions are refused from now on.
    /// @dev Reverts with `DeviceRegistryUnknownClass`, `DeviceRegistryNotClassAgency`,
    /// `DeviceRegistryNotAgency` (the class's agency left the consortium),
    /// `DeviceRegistryZeroField("pcrDigest")`. Emits `MeasurementSet`.
    /// @param classId The class.
    /// @param pcrDigest The new golden PCR digest.
    /// @return version The new current version.
    function setMeasurement(bytes32 classId, bytes32 pcrDigest) external returns (uint32 version);

    /// @notice Revoke version `version` of class `classId`'s measurement (e.g. a vulnerable
    /// firmware): no quote over it is accepted, even while it is current.
    /// @dev Reverts as `setMeasurement` for the class and caller, with
    /// `DeviceRegistryUnknownMeasurement` for version 0 or above the current one, and
    /// `DeviceRegistryMeasurementRevoked` if already revoked. Emits `MeasurementRevoked`.
    /// @param classId The class.
    /// @param version The version to revoke.
    function revokeMeasurement(bytes32 classId, uint32 version) external;

    /// @notice Admit a device's attestation public key to class `classId`.
    /// @dev Reverts as `setMeasurement` for the class and caller, with
    /// `DeviceRegistryZeroField("attestationKey")` for an empty key, `DeviceRegistryKeyTooLong`,
    /// and `DeviceRegistryDeviceExists` for a key already admitted (to any class, revoked or
    /// not). Emits `DeviceAdmitted`.
    /// @param classId The class.
    /// @param attestationKey The key bytes, 1 .. `MAX_KEY_BYTES` (the toolkit uses a DER
    /// SubjectPublicKeyInfo of a P-256 key).
    /// @return deviceId keccak256(attestationKey).
    function admitDevice(bytes32 classId, bytes calldata attestationKey) external returns (bytes32 deviceId);

    /// @notice Revoke device `deviceId` for good (a lost, stolen or compromised device).
    /// @dev Reverts with `DeviceRegistryUnknownDevice`, `DeviceRegistryDeviceRevoked`, and as
    /// `setMeasurement` for its class's agency. Emits `DeviceRevoked`.
    /// @param deviceId The device.
    function revokeDevice(bytes32 deviceId) external;

    /// @notice Class `classId` (all zero if unknown).
    /// @param classId The class.
    /// @return deviceClass The stored class.
    function classOf(bytes32 classId) external view returns (DeviceClass memory deviceClass);

    /// @notice Version `version` of class `classId`'s measurement (all zero if unknown).
    /// @param classId The class.
    /// @param version The version, from 1.
    /// @return measurement The stored measurement.
    function measurementOf(bytes32 classId, uint32 version) external view returns (Measurement memory measurement);

    /// @notice Device `deviceId` (all zero if unknown).
    /// @param deviceId The device.
    /// @return device The stored device.
    function deviceOf(bytes32 deviceId) external view returns (Device memory device);

    /// @notice Whether a quote by device `deviceId` over `pcrDigest` passes the on-chain checks:
    /// the device is admitted and not revoked, and `pcrDigest` is its class's current,
    /// unrevoked golden digest. The signature and nonce are checked off chain.
    /// @param deviceId The device.
    /// @param pcrDigest The PCR digest in its quote.
    /// @return trusted Whether all of those hold.
    function isTrusted(bytes32 deviceId, bytes32 pcrDigest) external view returns (bool trusted);
}
