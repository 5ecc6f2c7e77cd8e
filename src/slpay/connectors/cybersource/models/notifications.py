"""Notification subscriptions: signing keys and webhooks (FACTS §8.1).

Create the signing key first (POST ``/kms/egress/v2/keys-sym``), store ``keyId`` and ``key``
in ``cybersource.webhook_keys``, then create the subscription (POST
``/notification-subscriptions/v2/webhooks``). The returned ``key`` is a ``SecretStr``.
"""

from __future__ import annotations

from pydantic import SecretStr

from slpay.connectors.cybersource.models.common import ClientReferenceInformation, Wire


class KeyInformation(Wire):
    provider: str | None = None
    tenant: str | None = None
    key_type: str | None = None
    organization_id: str | None = None
    expiry_duration: str | None = None


class CreateKeyRequest(Wire):
    """``clientRequestAction: CREATE`` with ``provider nrtd``, ``keyType sharedSecret``."""

    client_reference_information: ClientReferenceInformation | None = None
    client_request_action: str = "CREATE"
    key_information: KeyInformation


class CreatedKey(Wire):
    provider: str | None = None
    tenant: str | None = None
    organization_id: str | None = None
    client_key_id: str | None = None
    key_id: str | None = None
    #: The base64 shared secret; Cybersource shows it once.
    key: SecretStr | None = None
    key_type: str | None = None
    status: str | None = None
    expiration_date: str | None = None
    message: str | None = None


class WebhookKey(Wire):
    """201 of POST ``/kms/egress/v2/keys-sym``."""

    submit_time_utc: str | None = None
    status: str | None = None
    client_reference_information: ClientReferenceInformation | None = None
    key_information: CreatedKey | None = None


class WebhookProduct(Wire):
    product_id: str
    event_types: list[str]


class WebhookRetryPolicy(Wire):
    """Delivery retries: ``ARITHMETIC`` or ``GEOMETRIC``, minutes (FACTS §8.5)."""

    algorithm: str | None = None
    first_retry: int | None = None
    interval: int | None = None
    number_of_retries: int | None = None
    deactivate_flag: str | None = None
    repeat_sequence_count: int | None = None
    repeat_sequence_wait_time: int | None = None


class SecurityPolicy(Wire):
    #: ``key`` (HMAC signature with the keys-sym key), ``oAuth`` or ``oAuth_JWT``.
    security_type: str | None = None


class CreateWebhookRequest(Wire):
    name: str | None = None
    description: str | None = None
    organization_id: str | None = None
    products: list[WebhookProduct]
    webhook_url: str
    health_check_url: str | None = None
    notification_scope: str | None = None
    retry_policy: WebhookRetryPolicy | None = None
    security_policy: SecurityPolicy | None = None


class Webhook(Wire):
    """A subscription as returned by create, get and list."""

    webhook_id: str | None = None
    organization_id: str | None = None
    products: list[WebhookProduct] | None = None
    webhook_url: str | None = None
    health_check_url: str | None = None
    status: str | None = None
    name: str | None = None
    description: str | None = None
    retry_policy: WebhookRetryPolicy | None = None
    security_policy: SecurityPolicy | None = None
    created_on: str | None = None
    notification_scope: str | None = None
