"""Build the boto3 S3 client for the policy's [archive] (AWS S3, MinIO, Ceph, SeaweedFS...)."""

from __future__ import annotations

import os
import re
import socket
from typing import Any

from softphone.config.archivesecret import load_secret
from softphone.config.schema import ArchivePolicy

DEFAULT_REGION = "us-east-1"


def workstation_name() -> str:
    """This workstation as object keys name it: SOFTPHONE_WORKSTATION, else the host name."""
    name = os.environ.get("SOFTPHONE_WORKSTATION") or socket.gethostname()
    return re.sub(r"[^A-Za-z0-9._-]", "_", name).strip(".") or "workstation"


def s3_client(policy: ArchivePolicy, *, timeout_s: float = 30.0) -> Any:
    """An S3 client for `policy`; the secret comes from the keyring, else AWS's own chain.

    boto3 retries only once: the spool's back-off does the patient retrying, so a call that
    flushes before it exits is not held up for minutes.
    """
    secret = load_secret(policy.access_key_id) if policy.access_key_id else None
    credentials: dict[str, str] = {}
    if secret is not None and policy.access_key_id:
        credentials = {
            "aws_access_key_id": policy.access_key_id,
            "aws_secret_access_key": secret,
        }
    # boto3 costs 24 MB and 0.3 s to import: only a process that talks to the archive pays it.
    import boto3  # noqa: PLC0415
    from botocore.config import Config  # noqa: PLC0415

    config = Config(
        connect_timeout=min(5.0, timeout_s),
        read_timeout=timeout_s,
        retries={"total_max_attempts": 2, "mode": "standard"},
        s3={"addressing_style": "path"} if policy.endpoint else {},
        request_checksum_calculation="when_required",
        response_checksum_validation="when_required",
    )
    session = boto3.session.Session()
    verify: bool | str = str(policy.ca_file) if policy.ca_file else policy.verify_tls
    return session.client(
        "s3",
        endpoint_url=policy.endpoint,
        region_name=policy.region or DEFAULT_REGION,
        verify=verify,
        config=config,
        **credentials,
    )
