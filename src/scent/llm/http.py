"""The network policy of every HTTP model and embedding call (docs/security.md).

- **No proxy for loopback, no environment at all under local-only.** httpx's default `trust_env=True` sends
  requests to `HTTP_PROXY` / `ALL_PROXY` even for 127.0.0.1 (it does not exempt loopback), so a "local" call
  delivered the prompt and the bearer token to whatever proxy the environment named. Loopback endpoints, and every
  endpoint under local-only, get a client that reads nothing from the environment (no proxies, no netrc).
- **Redirects are never followed**: a 3xx is an error that names where it pointed, so a server cannot bounce a
  request (and its Authorization header) to another host.
- **An API key goes only where it was configured for**: loopback endpoints, the origins listed in
  `[llm] api_key_origins`, and for `OPENAI_API_KEY` its own endpoint (`OPENAI_BASE_URL`, else api.openai.com).
  An endpoint that came from anywhere else (a hand-edited trace, a document) never receives a key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    import httpx

DEFAULT_PORTS = {"http": 80, "https": 443}
OPENAI_DEFAULT_BASE = "https://api.openai.com/v1"


class EndpointError(ValueError):
    """A URL that cannot name an HTTP endpoint; the message is a sentence for the user."""


def split_endpoint(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL, or EndpointError saying what is wrong with it."""
    try:
        parts = urlsplit(url.strip())
        host, port = parts.hostname or "", parts.port
    except ValueError as e:  # e.g. http://[127.0.0.1] (an IPv4 address in brackets), a port out of range
        raise EndpointError(f"invalid endpoint URL {url!r}: {e}") from None
    if parts.scheme not in DEFAULT_PORTS:
        raise EndpointError(f"invalid endpoint URL {url!r}: the scheme must be http or https")
    if not host:
        raise EndpointError(f"invalid endpoint URL {url!r}: no host")
    return parts.scheme, host.lower(), port or DEFAULT_PORTS[parts.scheme]


def origin(url: str) -> str:
    """scheme://host:port with the default port made explicit, for comparing endpoints."""
    scheme, host, port = split_endpoint(url)
    return f"{scheme}://{f'[{host}]' if ':' in host else host}:{port}"


def is_loopback_host(host: str) -> bool:
    """True for 'localhost' and loopback addresses; host names are not resolved (DNS could point anywhere)."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    return is_loopback_host(split_endpoint(url)[1])


def api_key_for(url: str, allowed_origins: Sequence[str] = ()) -> str | None:
    """The API key from the environment that may be sent to `url`, or None (see the module docstring)."""
    loopback = is_loopback_url(url)
    target = origin(url)
    allowed = {origin(o) for o in allowed_origins}
    scent_key = os.environ.get("SCENT_API_KEY")
    if scent_key and (loopback or target in allowed):
        return scent_key
    openai_key = os.environ.get("OPENAI_API_KEY")
    if openai_key and (loopback or target in allowed
                       or target == origin(os.environ.get("OPENAI_BASE_URL") or OPENAI_DEFAULT_BASE)):
        return openai_key
    return None


def make_client(url: str, timeout: float, local_only: bool, headers: dict[str, str] | None = None) -> httpx.Client:
    """An httpx client for one endpoint under the policy above."""
    import httpx

    use_environment = not local_only and not is_loopback_url(url)
    return httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)), headers=headers or {},
                        trust_env=use_environment, follow_redirects=False)


def redirect_message(url: str, status: int, location: str | None) -> str:
    return (f"{url}: HTTP {status} redirect to {location or '(no Location)'!r} not followed (scent never follows "
            "redirects: name the final URL in the spec)")
