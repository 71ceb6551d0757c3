"""The OpenAI Batch API (``/v1/batches``) behind :class:`bizsum.providers.base.BatchAPI`.

Each request line carries exactly the body a live request would send; a result line is parsed
as leniently as a live answer. Every call goes through the model's retry policy.
"""

from __future__ import annotations

from typing import Any, Protocol

from bizsum.config import ModelSpec
from bizsum.providers.base import BatchStatus, Generation, GenerationRequest


class ChatBackend(Protocol):
    """What the batch API uses of the chat provider (``OpenAIChatProvider``): its client, retry
    policy and request/response shapes. A protocol, so this module does not import the provider
    that imports it (no import circle, type-checking imports included)."""

    spec: ModelSpec
    client: Any

    def request_body(self, request: GenerationRequest) -> dict[str, Any]: ...

    def call_api(self, call: Any, describe: str, limited: bool = False) -> Any: ...

    def to_generation(self, response: Any, counted_prompt: int, latency: float | None) -> Generation: ...


ENDPOINT = "/v1/chat/completions"


def _status(batch: Any) -> BatchStatus:
    counts = getattr(batch, "request_counts", None)
    errors = getattr(batch, "errors", None)
    reasons = "; ".join(f"{e.code}: {e.message}" for e in (getattr(errors, "data", None) or [])) if errors else ""
    return BatchStatus(
        batch_id=batch.id,
        status=batch.status,
        output_file_id=getattr(batch, "output_file_id", None),
        error_file_id=getattr(batch, "error_file_id", None),
        errors=reasons,
        counts=counts.model_dump() if counts is not None else {},
    )


class OpenAIBatchAPI:
    def __init__(self, provider: ChatBackend):
        self.provider = provider
        self.client = provider.client
        self.model_id = provider.spec.id

    def request_line(self, custom_id: str, request: GenerationRequest) -> dict[str, Any]:
        return {"custom_id": custom_id, "method": "POST", "url": ENDPOINT, "body": self.provider.request_body(request)}

    def upload(self, name: str, data: bytes) -> str:
        uploaded = self.provider.call_api(
            lambda: self.client.files.create(file=(name, data, "application/jsonl"), purpose="batch"),
            f"model {self.model_id!r}: uploading the batch requests",
        )
        return str(uploaded.id)

    def create(self, file_id: str, metadata: dict[str, str], maybe_created: bool = False) -> BatchStatus:
        """Create the batch; on a retry (or when an earlier run may have created it before its answer
        was lost) first look for a batch made from the same file, so it is never submitted twice."""
        look_first = maybe_created

        def attempt() -> Any:
            nonlocal look_first
            if look_first:
                for existing in self.client.batches.list(limit=100).data:
                    if existing.input_file_id == file_id:
                        return existing
            look_first = True
            return self.client.batches.create(
                input_file_id=file_id, endpoint="/v1/chat/completions", completion_window="24h", metadata=metadata
            )

        return _status(self.provider.call_api(attempt, f"model {self.model_id!r}: creating the batch"))

    def retrieve(self, batch_id: str) -> BatchStatus:
        return _status(
            self.provider.call_api(
                lambda: self.client.batches.retrieve(batch_id), f"model {self.model_id!r}: batch {batch_id}"
            )
        )

    def download(self, file_id: str) -> str:
        content = self.provider.call_api(
            lambda: self.client.files.content(file_id), f"model {self.model_id!r}: downloading batch file {file_id}"
        )
        return str(content.text)

    def line_error(self, line: dict[str, Any]) -> str | None:
        if line.get("error"):
            error = line["error"]
            if isinstance(error, dict):
                return f"{error.get('code') or 'error'}: {error.get('message') or error}"
            return str(error)
        response = line.get("response") or {}
        status = response.get("status_code")
        if status != 200:
            body = response.get("body") or {}
            message = (
                body.get("error", {}).get("message")
                if isinstance(body, dict) and isinstance(body.get("error"), dict)
                else body
            )
            return f"HTTP {status}: {message}"
        return None

    def parse_line(self, line: dict[str, Any], counted_prompt: int) -> Generation:
        response = line.get("response") or {}
        generation = self.provider.to_generation(response.get("body"), counted_prompt, None)
        generation.meta["batch_request_id"] = response.get("request_id")
        return generation
