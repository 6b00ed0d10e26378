"""Read the policy's [archive] table: where finished recordings are uploaded (S3-compatible)."""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from softphone.config.checks import (
    AbsolutePath,
    Flag,
    Integer,
    InvalidValueError,
    Text,
    ValueType,
)
from softphone.config.filechecks import ca_file_problem
from softphone.config.reader import TableReader
from softphone.config.schema import ArchivePolicy

DAYS = Integer(0, 36500, " of days")
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
BUCKET = Text(
    "an S3 bucket name: 3 to 63 lower-case letters, digits, '.' and '-', starting and ending "
    "with a letter or digit",
    empty=False,
    pattern=_BUCKET,
)
PREFIX = Text(
    'a key prefix of letters, digits and "/._-" such as "recordings/site-a" ("" for none)',
    pattern=re.compile(r"[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*"),
)
REGION = Text("a region name such as eu-west-1", pattern=re.compile(r"[a-z0-9-]+"))
ACCESS_KEY_ID = Text(
    "an access key id (letters and digits, such as AKIAIOSFODNN7EXAMPLE)",
    empty=False,
    pattern=re.compile(r"[A-Za-z0-9_+=.@-]{3,128}"),
)
SECRET_HINT = (
    "the secret key is never stored in the policy: store it in the OS keyring with "
    "`softphone archive set-secret`, or give it through the standard AWS environment "
    "variables or credential files; remove this key"
)


class Endpoint(ValueType[str]):
    """An http(s) URL of an S3 endpoint: scheme and host (and port), nothing after them."""

    expected = "an S3 endpoint URL such as https://s3.example.org or http://127.0.0.1:9000"

    def check(self, value: object) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(value)
        try:
            parts = urlsplit(value)
            port = parts.port
        except ValueError as exc:
            raise InvalidValueError(f"expected {self.expected}, got {value!r}: {exc}") from None
        if parts.scheme not in ("http", "https"):
            raise InvalidValueError(
                f"expected {self.expected}, got {value!r}: the scheme must be https:// "
                "(or http:// for a test server), not "
                f"{(parts.scheme + '://') if parts.scheme else 'none'}"
            )
        if not parts.hostname:
            raise InvalidValueError(f"expected {self.expected}, got {value!r}: no host name")
        if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
            raise InvalidValueError(
                f"expected {self.expected}, got {value!r}: give only the scheme, host and port; "
                "the bucket goes in archive.bucket and a path in archive.prefix"
            )
        if port == 0:
            raise InvalidValueError(f"expected {self.expected}, got {value!r}: port 0")
        return value.rstrip("/")


def _loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return host == "localhost"


def read_archive(root: TableReader) -> ArchivePolicy | None:
    """[archive]: the object store that finished recordings go to; None when there is none."""
    t = root.table_at("archive")
    if t is None:
        return None
    errors_before = len(t.out.errors)
    endpoint = t.value("endpoint", Endpoint())
    bucket = t.value("bucket", BUCKET, required=True, what="the bucket recordings go to")
    prefix = t.value("prefix", PREFIX)
    region = t.value("region", REGION)
    key_id = t.value("access_key_id", ACCESS_KEY_ID)
    verify = t.value("verify_tls", Flag())
    ca_file = t.value("ca_file", AbsolutePath())
    keep = t.value("keep_local_days", DAYS)
    lock = t.value("object_lock_days", DAYS)
    t.report_unknown({"secret_access_key": SECRET_HINT, "secret_key": SECRET_HINT})
    if ca_file is not None and (problem := ca_file_problem(ca_file)) is not None:
        t.out.error(t.at("ca_file"), problem)
    host = urlsplit(endpoint).hostname if endpoint else None
    if endpoint and endpoint.startswith("http://") and host and not _loopback(host):
        t.out.warning(
            t.at("endpoint"),
            "http:// sends recordings and metadata unencrypted over the network; use https://",
        )
    if verify is False:
        t.out.warning(
            t.at("verify_tls"),
            "false: the softphone will not check that the archive is who it claims to be; give "
            "its CA in ca_file instead",
        )
    if len(t.out.errors) > errors_before or bucket is None:
        return None
    return ArchivePolicy(
        bucket=bucket,
        endpoint=endpoint,
        prefix=prefix or "",
        region=region or None,
        access_key_id=key_id,
        verify_tls=verify is not False,
        ca_file=ca_file,
        keep_local_days=keep,
        object_lock_days=lock or 0,
    )
