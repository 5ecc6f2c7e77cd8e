"""The hub's HTTP API: the raw webhook route, health, metrics, the admin API.

``create_app(settings)`` builds it; ``serve(settings)`` runs it under uvicorn.
"""

from slpay.api.app import HubApp, ReadinessCheck, create_app
from slpay.api.security import require_api_key
from slpay.api.server import serve

__all__ = ["HubApp", "ReadinessCheck", "create_app", "require_api_key", "serve"]
