"""An OpenAI-compatible `/v1/embeddings` endpoint as an Embedder (`openai:BASE_URL#MODEL`).

Truncation is the server's; to keep requests bounded, each text is also cut to `max_tokens * 8` characters
before sending. Empty texts are sent as a single space (the API rejects empty strings). Vectors are
L2-normalised here, whatever the server returns.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from scent.config import EmbedConfig

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


class OpenAIEmbedder:
    def __init__(self, base_url: str, model: str, config: EmbedConfig | None = None, retries: int = 3,
                 local_only: bool = False) -> None:
        from scent.llm.http import make_client

        self.config = config or EmbedConfig()
        self.spec = f"openai:{base_url}#{model}"
        self.url = base_url.rstrip("/") + "/embeddings"
        self.model = model
        self.retries = retries
        # no proxy for loopback (none at all under local-only), no redirects followed; no API key is sent
        self.client = make_client(self.url, self.config.timeout_s, local_only)
        self._dim: int | None = None

    @property
    def dim(self) -> int:
        """The server's vector size, learnt from the first call (one probe request if none was made yet)."""
        if self._dim is None:
            self.embed(["dimension probe"])
        assert self._dim is not None
        return self._dim

    def embed(self, texts: Sequence[str]) -> NDArray[np.float32]:
        import numpy as np

        from scent.embed.errors import EmbedError

        limit = self.config.max_tokens * 8
        rows: list[list[float]] = []
        for start in range(0, len(texts), self.config.batch_size):
            batch = [(t or "").strip()[:limit] or " " for t in texts[start : start + self.config.batch_size]]
            data = self._post({"model": self.model, "input": batch})
            try:
                items = sorted(data["data"], key=lambda item: int(item["index"]))
                rows += [list(map(float, item["embedding"])) for item in items]
            except (KeyError, TypeError, ValueError) as e:
                raise EmbedError(f"{self.url}: unexpected reply ({e!r})") from None
            if len(items) != len(batch):
                raise EmbedError(f"{self.url}: {len(items)} vectors for {len(batch)} texts")
        if not rows:
            return np.zeros((0, self._dim or 0), dtype=np.float32)
        matrix = np.asarray(rows, dtype=np.float32)
        self._dim = self._dim or matrix.shape[1]
        if matrix.shape[1] != self._dim:
            raise EmbedError(f"{self.url}: vector size changed from {self._dim} to {matrix.shape[1]}")
        return matrix / np.maximum(np.linalg.norm(matrix, axis=1, keepdims=True), 1e-12)  # type: ignore[no-any-return]

    def _post(self, body: dict[str, Any]) -> Any:
        import httpx

        from scent.embed.errors import EmbedError

        for attempt in range(self.retries + 1):
            try:
                response = self.client.post(self.url, json=body)
                if 300 <= response.status_code < 400:
                    from scent.llm.http import redirect_message

                    raise EmbedError(redirect_message(self.url, response.status_code,
                                                      response.headers.get("location")))
                if response.status_code < 500 and response.status_code != 429:
                    response.raise_for_status()
                    return response.json()
                error = f"HTTP {response.status_code}"
            except httpx.HTTPStatusError as e:
                raise EmbedError(f"{self.url}: HTTP {e.response.status_code}: {e.response.text[:200]}") from None
            except (httpx.TransportError, ValueError) as e:
                error = repr(e)
            if attempt < self.retries:
                time.sleep(min(0.5 * 2**attempt, 8.0))
        raise EmbedError(f"{self.url}: {error} after {self.retries + 1} attempts")
