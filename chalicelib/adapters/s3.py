"""Export files in Amazon S3 (the embedded S3 locally), and the export job queue on SQS."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

# S3 multipart parts must be at least 5 MiB (except the last); one part is held at a time.
PART_BYTES = 8 * 1024 * 1024


class S3BlobStore:
    """Streams a file to S3 as a multipart upload: memory holds one part, whatever the size."""

    def __init__(self, client: Callable[[], Any], bucket: str, part_bytes: int = PART_BYTES) -> None:
        # The client is built on first use: most requests never export, so they never pay for it.
        self._client_factory = client
        self._client: Any = None
        self._bucket = bucket
        self._part_bytes = part_bytes

    @property
    def s3(self) -> Any:
        if self._client is None:
            self._client = self._client_factory()
        return self._client

    def write_stream(self, key: str, chunks: Iterator[bytes], content_type: str) -> int:
        buffer = bytearray()
        size = 0
        upload_id: str | None = None
        parts: list[dict[str, Any]] = []
        try:
            for chunk in chunks:
                buffer += chunk
                size += len(chunk)
                if len(buffer) >= self._part_bytes:
                    if upload_id is None:
                        upload_id = self.s3.create_multipart_upload(
                            Bucket=self._bucket, Key=key, ContentType=content_type
                        )["UploadId"]
                    parts.append(self._part(key, upload_id, len(parts) + 1, bytes(buffer)))
                    buffer.clear()
            if upload_id is None:
                self.s3.put_object(Bucket=self._bucket, Key=key, Body=bytes(buffer), ContentType=content_type)
                return size
            if buffer:
                parts.append(self._part(key, upload_id, len(parts) + 1, bytes(buffer)))
            self.s3.complete_multipart_upload(
                Bucket=self._bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts}
            )
            return size
        except BaseException:
            if upload_id is not None:
                self.s3.abort_multipart_upload(Bucket=self._bucket, Key=key, UploadId=upload_id)
            raise

    def _part(self, key: str, upload_id: str, number: int, body: bytes) -> dict[str, Any]:
        etag = self.s3.upload_part(Bucket=self._bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
        return {"ETag": etag["ETag"], "PartNumber": number}

    def read(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self._bucket, Key=key)["Body"].read())

    def link(self, key: str, expires_seconds: int, filename: str) -> str:
        return str(
            self.s3.generate_presigned_url(
                "get_object",
                Params={
                    "Bucket": self._bucket,
                    "Key": key,
                    "ResponseContentDisposition": f'attachment; filename="{filename}"',
                },
                ExpiresIn=expires_seconds,
            )
        )


class SQSExportJobQueue:
    def __init__(self, client: Callable[[], Any], queue_name: str) -> None:
        self._client_factory = client
        self._name = queue_name
        self._url: str | None = None
        self._sqs: Any = None

    def enqueue_export(self, job_id: str) -> None:
        if self._sqs is None:
            self._sqs = self._client_factory()
            self._url = self._sqs.get_queue_url(QueueName=self._name)["QueueUrl"]
        self._sqs.send_message(QueueUrl=self._url, MessageBody=json.dumps({"job_id": job_id}))
