"""How a request failed, in the words the contract's layer diagnosis uses. A module of its own so the checks can
name it without importing the contract's client (the openai package and httpx2: ~0.5 s a run pays only when it asks
the contract)."""
from __future__ import annotations

from enum import Enum

from .base import Unavailable


class Failure(str, Enum):
    """How a request failed, in the words the layer diagnosis uses."""

    REFUSED = "refused"  # nothing listens: down
    TIMEOUT = "timeout"  # no answer (or no end of it) within the deadline: hangs
    AUTH = "auth"  # 401/403
    STATUS = "status"  # another error status
    MALFORMED = "malformed"  # 2xx, but not an OpenAI answer
    NOT_RECORDED = "not recorded"  # a replay whose recording does not hold this request: cannot verify


class UndocumentedAddress(Unavailable):
    """A credential would go to an address the inventory does not document: it is not sent."""
