"""Turn what boto3 raises into an `ArchiveError` that names the cause and the fix."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
    SSLError,
)
from botocore.exceptions import ConnectTimeoutError as BotoConnectTimeout

from softphone.config.schema import ArchivePolicy

KEPT = "the recording stays in the spool and nothing is deleted"
_CREDENTIALS = {
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "InvalidToken",
    "ExpiredToken",
    "AccessDenied",
    "InvalidClientTokenId",
}
_FULL = {"QuotaExceeded", "InsufficientStorage", "EntityTooLarge", "XMinioStorageFull"}
_CHECKSUM = {"BadDigest", "InvalidDigest", "XAmzContentSHA256Mismatch", "InvalidChecksum"}


class ArchiveError(Exception):
    """An upload did not happen; the message says why and what to do (retried unless `fatal`)."""

    def __init__(self, message: str, *, cause: str = "error") -> None:
        super().__init__(message)
        self.cause = cause


def where(policy: ArchivePolicy) -> str:
    """The archive, as messages name it: 'bucket B at https://host'."""
    return f"bucket {policy.bucket} at {policy.endpoint or 'AWS S3'}"


def explain(exc: Exception, policy: ArchivePolicy, doing: str) -> ArchiveError:
    """The `ArchiveError` for `exc`, raised while `doing` (such as 'uploading X')."""
    at = where(policy)
    if isinstance(exc, ArchiveError):
        return exc
    if isinstance(exc, NoCredentialsError):
        return ArchiveError(
            f"no secret key for the archive ({at}) while {doing}: store it with `softphone "
            "archive set-secret`, or set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY; " + KEPT,
            cause="credentials",
        )
    if isinstance(exc, SSLError):
        return ArchiveError(
            f"the archive's TLS certificate was not accepted while {doing} ({exc}): give its CA "
            "in archive.ca_file; " + KEPT,
            cause="tls",
        )
    if isinstance(
        exc, EndpointConnectionError | BotoConnectTimeout | ReadTimeoutError | ConnectionClosedError
    ):
        return ArchiveError(
            f"the archive ({at}) does not answer while {doing} ({exc}); it is retried with "
            "back-off; check the network and archive.endpoint; " + KEPT,
            cause="unreachable",
        )
    if isinstance(exc, ClientError):
        return _client_error(exc, policy, doing)
    if isinstance(exc, BotoCoreError | OSError):
        return ArchiveError(f"{doing} failed ({at}): {exc}; " + KEPT, cause="unreachable")
    raise exc


def _client_error(exc: ClientError, policy: ArchivePolicy, doing: str) -> ArchiveError:
    at = where(policy)
    error = exc.response.get("Error", {})
    code = str(error.get("Code", ""))
    status = int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)
    said = f"{code or status}: {error.get('Message', '') or 'no message'}"
    if code == "RequestTimeTooSkewed":
        return ArchiveError(
            f"the archive ({at}) refused the request while {doing}: this workstation's clock "
            f"differs too much from the archive's ({said}); set the clock right (enable NTP); "
            + KEPT,
            cause="clock",
        )
    if code in ("NoSuchBucket", "404") and "bucket" in doing:
        return ArchiveError(
            f"the bucket {policy.bucket} does not exist at {policy.endpoint or 'AWS S3'} "
            f"({said}); create it, or fix archive.bucket in the policy; " + KEPT,
            cause="bucket",
        )
    if code == "NoSuchBucket":
        return ArchiveError(
            f"the bucket {policy.bucket} does not exist ({said}); create it, or fix "
            "archive.bucket in the policy; " + KEPT,
            cause="bucket",
        )
    if code in _CREDENTIALS or status == 403:
        return ArchiveError(
            f"the archive ({at}) refused the credentials while {doing} ({said}): check "
            "archive.access_key_id and store its secret key with `softphone archive "
            "set-secret` (or fix the AWS credentials in the environment); " + KEPT,
            cause="credentials",
        )
    if code in _CHECKSUM:
        return ArchiveError(
            f"the archive ({at}) received other bytes than were sent while {doing} ({said}): "
            "the SHA-256 did not match; it is retried; " + KEPT,
            cause="checksum",
        )
    if code in _FULL or status == 507 or "No writable volumes" in said or "quota" in said.lower():
        return ArchiveError(
            f"the archive ({at}) is full while {doing} ({said}): ask its administrator for "
            "space or a larger quota; it is retried; " + KEPT,
            cause="full",
        )
    if code == "InvalidRequest" and "lock" in doing:
        return ArchiveError(
            f"the policy asks for object lock (archive.object_lock_days = "
            f"{policy.object_lock_days}) but {at} refused it ({said}): create the bucket with "
            "object lock enabled, or set archive.object_lock_days = 0; " + KEPT,
            cause="lock",
        )
    return ArchiveError(
        f"the archive ({at}) failed while {doing} ({said}); it is retried with back-off; " + KEPT,
        cause="server",
    )
