"""API-key authentication for the admin and order-intake API.

Routes opt in with ``dependencies=[Depends(require_api_key)]`` (or take the key's name as a
parameter). Keys come from ``settings.api.api_keys`` (name → SecretStr) and are compared in
constant time; with no key configured every call is refused, never allowed.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Annotated

from fastapi import Header, HTTPException, Request
from pydantic import SecretStr

API_KEY_HEADER = "X-API-Key"


class ApiKeys:
    """The configured keys, ready for constant-time comparison."""

    def __init__(self, keys: Mapping[str, SecretStr]) -> None:
        self._keys = [(name, key.get_secret_value().encode()) for name, key in keys.items()]

    def match(self, presented: str | None) -> str | None:
        """The name of the key presented, or None. Every key is compared (constant time)."""
        if not presented:
            return None
        given = presented.encode()
        found: str | None = None
        for name, key in self._keys:
            if hmac.compare_digest(given, key) and found is None:
                found = name
        return found


async def require_api_key(
    request: Request,
    x_api_key: Annotated[str | None, Header(alias=API_KEY_HEADER)] = None,
) -> str:
    """FastAPI dependency: the calling key's name, or 401."""
    keys: ApiKeys = request.app.state.api_keys
    name = keys.match(x_api_key)
    if name is None:
        raise HTTPException(
            status_code=401,
            detail="missing or unknown API key",
            headers={"WWW-Authenticate": API_KEY_HEADER},
        )
    return name
