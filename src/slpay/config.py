"""Typed settings, read once: a YAML file, ``SLPAY_*`` environment variables, secret files.

Precedence (highest first): init arguments, environment (``SLPAY_SECTION__FIELD``), secret
files (``SLPAY_SECRETS_DIR``: one file per setting, named like the variable without the
prefix, e.g. ``cybersource__shared_secret``; a missing directory is an error), the YAML file
(``--config`` or ``SLPAY_CONFIG``), defaults. This is the only module that reads the
environment.

Each issue adds its own section; every section has defaults that run the embedded sandboxes.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic import ValidationError as PydanticValidationError
from pydantic_settings import (
    BaseSettings,
    NestedSecretsSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

from slpay.errors import ConfigError

#: Credentials the embedded Cybersource sandbox accepts by default (documented in the README).
SANDBOX_MERCHANT_ID = "slpay_demo"
SANDBOX_KEY_ID = "08c94330-f618-42a3-b09d-e1e43be5efda"
SANDBOX_SHARED_SECRET = "c2xwYXktc2FuZGJveC1zaGFyZWQtc2VjcmV0LTAwMDE="  # noqa: S105 - demo only
SANDBOX_WEBHOOK_KEY_ID = "5b1d2c8e-6f0a-4c1e-9d7e-3a2b1c0d9e8f"
SANDBOX_WEBHOOK_KEY = "c2xwYXktc2FuZGJveC13ZWJob29rLWtleS0wMDAx"


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class CybersourceSettings(_Section):
    """How slpay reaches Cybersource (or the embedded sandbox)."""

    base_url: str = "http://127.0.0.1:8631"
    #: Host that is signed and sent in the Host header (the real API host, even via a proxy).
    host: str = "apitest.cybersource.com"
    merchant_id: str = SANDBOX_MERCHANT_ID
    key_id: str = SANDBOX_KEY_ID
    shared_secret: SecretStr = SecretStr(SANDBOX_SHARED_SECRET)
    #: Webhook signing keys by keyId (the ``key`` from /kms/egress/v2/keys-sym), base64.
    webhook_keys: dict[str, SecretStr] = Field(
        default_factory=lambda: {SANDBOX_WEBHOOK_KEY_ID: SecretStr(SANDBOX_WEBHOOK_KEY)}
    )
    #: Maximum age (seconds) of a webhook's ``t`` before it is refused as a replay.
    webhook_tolerance_s: int = Field(default=300, gt=0)
    #: Private key (PEM or JWK JSON) for message-level-encrypted webhook payloads.
    webhook_decryption_key: SecretStr | None = None
    timeout_s: float = Field(default=30.0, gt=0)
    retry_attempts: int = Field(default=4, ge=1, le=20)
    retry_base_delay_s: float = Field(default=0.2, ge=0)
    retry_max_delay_s: float = Field(default=10.0, gt=0)
    #: Outbound HTTP(S) proxy URL for Cybersource calls (the environment is never consulted).
    proxy: str | None = None

    @field_validator("base_url")
    @classmethod
    def _url(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return v.rstrip("/")

    @field_validator("host")
    @classmethod
    def _host(cls, v: str) -> str:
        if "://" in v or "/" in v or not v:
            raise ValueError(
                "a bare host name such as apitest.cybersource.com (no scheme, no path)"
            )
        return v

    @field_validator("shared_secret")
    @classmethod
    def _b64(cls, v: SecretStr) -> SecretStr:
        import base64
        import binascii

        try:
            base64.b64decode(v.get_secret_value(), validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ValueError("must be the base64 shared secret from the Business Center") from exc
        return v


class SLAccounts(_Section):
    """GL accounts/subaccounts of the money map (DESIGN.md); the sandbox company seeds these."""

    bank_acct: str = "1000"
    bank_sub: str = "000000"
    #: Cybersource clearing: a CashAcct for card receipts not yet deposited.
    clearing_acct: str = "1050"
    clearing_sub: str = "000000"
    ar_acct: str = "1200"
    ar_sub: str = "000000"
    #: Customer prepayments (ARSetup.PrePayAcct).
    prepay_acct: str = "2300"
    prepay_sub: str = "000000"
    sales_acct: str = "4000"
    sales_sub: str = "000000"
    refunds_acct: str = "4100"
    refunds_sub: str = "000000"
    fees_acct: str = "6100"
    fees_sub: str = "000000"
    chargeback_loss_acct: str = "6200"
    chargeback_loss_sub: str = "000000"
    settlement_diff_acct: str = "6900"
    settlement_diff_sub: str = "000000"
    fx_acct: str = "7900"
    fx_sub: str = "000000"


class SLSettings(_Section):
    """Where the Dynamics SL application database is and how slpay writes to it.

    Field meanings and the fault switch are documented in docs/sl-connector.md.
    """

    db_url: str = "sqlite:///sl.db"
    company: str = "DEMO"
    #: SL user id written to Crtd_User/LUpd_User (char(10)).
    user: str = "SLPAY"
    #: Time zone of SL's dates (SMALLDATETIME is local, naive); aware UTC is converted to it.
    timezone: str = "UTC"
    accounts: SLAccounts = SLAccounts()
    #: New customers: CustId rule ("counter": prefix + zero-padded number; "email": from the
    #: e-mail's local part), class, terms, statement cycle.
    customer_id_rule: Literal["counter", "email"] = "counter"
    customer_id_prefix: str = "W"
    customer_id_width: int = Field(default=8, ge=4, le=15)
    customer_class: str = "WEB"
    customer_terms: str = "00"
    customer_stmt_cycle: str = "01"
    #: Sales orders: SOType, and the SOHeader user field holding the display label.
    so_type_id: str = "SO"
    so_label_field: Literal["User1", "User2", "User3", "User4"] = "User1"
    #: ARDoc user field holding the Cybersource transaction id (22 digits).
    ardoc_cyber_field: Literal["User1", "User2"] = "User2"
    #: A released CM with this value in this ARDoc field is refunded to the card.
    card_refund_field: Literal["User1", "User2"] = "User1"
    card_refund_value: str = "CARDREFUND"
    #: Payment RefNbr: prefix + slpay's own counter (SL payments carry a typed reference).
    payment_ref_prefix: str = "CY"
    cury_rate_type: str = "SPOT"
    gl_jrnl_type: str = "GJ"
    #: Status of the batches slpay writes: B (release later) or H (hold).
    batch_status: Literal["B", "H"] = "B"
    #: A document dated in a period before the module's current one: refuse, or post it in
    #: the current period (keeping its date).
    past_period: Literal["refuse", "current"] = "refuse"
    #: Fault injection (tests, demo): "off", "unavailable" (every call raises TransientError),
    #: "fail_next" (the next write raises PermanentError), "fail_matching" (writes whose key
    #: contains ``fault_match`` raise PermanentError).
    fault: Literal["off", "unavailable", "fail_next", "fail_matching"] = "off"
    fault_match: str = ""


class HubSettings(_Section):
    """slpay's own store and workflow state, and the webhook ingest's group commit.

    The webhook writer commits whatever has queued in one transaction (group commit): at most
    ``ingest_max_batch`` events, waiting up to ``ingest_max_wait_ms`` for more once one is
    queued (0: commit as soon as the previous commit ends). Beyond ``ingest_queue_limit``
    waiting events the webhook answers 503 so that Cybersource retries later.
    """

    db_url: str = "sqlite:///hub.db"
    ingest_max_batch: int = Field(default=1000, ge=1, le=100_000)
    ingest_max_wait_ms: float = Field(default=0.0, ge=0, le=1000)
    ingest_queue_limit: int = Field(default=20_000, ge=1)
    #: Pause processing at start-up: webhooks are still stored, no worker claims them.
    processing_paused: bool = False


class ApiSettings(_Section):
    """The hub's HTTP API (``slpay serve``): address, admin API keys, webhook limits."""

    host: str = "127.0.0.1"
    port: int = Field(default=8640, ge=1, le=65535)
    #: Admin and order-intake API keys by name, sent in the ``X-API-Key`` header. No key
    #: configured means the authenticated API refuses every call.
    api_keys: dict[str, SecretStr] = Field(default_factory=dict)
    #: Largest webhook body accepted, in bytes; a larger one is refused with 413.
    max_webhook_body_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    #: Organization ids whose webhooks are accepted (403 otherwise); empty means
    #: ``cybersource.merchant_id`` only.
    webhook_organization_ids: list[str] = Field(default_factory=list)


class MappingSettings(_Section):
    """The order-to-cash mapping file a finance admin edits (docs/mapping.md)."""

    #: Path of the mapping YAML; None = the default shipped in the package.
    path: Path | None = None


class WorkflowSettings(_Section):
    """The durable hub runtime (DBOS) and the order-to-cash workflows (docs/order-to-cash.md)."""

    #: Stable id of this ``slpay serve`` process (DBOS recovers its own pending work on
    #: restart); ``--executor-id`` overrides it.
    executor_id: str = Field(default="slpay-1", min_length=1, max_length=30)
    #: Pinned DBOS application version: every process sharing the database must agree.
    application_version: str = "slpay-o2c-1"
    #: Inbox events claimed and posted together (one workflow, one SL payment batch).
    batch_size: int = Field(default=200, ge=1, le=5000)
    #: Micro-batch workflows running at once across every process (protects SL).
    sl_concurrency: int = Field(default=2, ge=1, le=64)
    #: Transaction-details reads in flight per micro-batch. A remote Cybersource answers in
    #: tens to hundreds of milliseconds: more readers hide that; against a sandbox on the same
    #: machine every extra thread only adds GIL hand-offs (bench/order_to_cash.py uses 2).
    tss_workers: int = Field(default=8, ge=1, le=64)
    #: How often an idle worker looks for new inbox events (seconds).
    poll_interval_s: float = Field(default=0.2, gt=0, le=60)
    #: Transient SL/Cybersource failures: backoff per attempt, cap, attempts before parking.
    retry_base_delay_s: float = Field(default=1.0, ge=0)
    retry_max_delay_s: float = Field(default=60.0, gt=0)
    max_attempts: int = Field(default=12, ge=1, le=1000)
    #: SL signals (shipped, invoiced, released) are polled this often (seconds).
    signals_interval_s: float = Field(default=5.0, gt=0)
    #: Transaction-search sweep for payments no webhook announced; 0 turns it off.
    sweep_interval_s: float = Field(default=300.0, ge=0)
    sweep_window_minutes: int = Field(default=24 * 60, ge=1)
    #: Liveness of ``slpay serve`` processes: a peer silent this long is taken over.
    heartbeat_interval_s: float = Field(default=5.0, gt=0)
    heartbeat_stale_s: float = Field(default=30.0, gt=0)
    #: The eCommerce platform is told of payment failures here (POST JSON); None = off.
    callback_url: str | None = None
    #: ``POST /api/orders`` with a transient token: authorize only, or sale (authorize and
    #: capture).
    intake_capture: bool = False
    #: Auth-only merchants: capture in Cybersource when SL confirms a shipper.
    capture_on_ship: bool = True


class FeeRate(_Section):
    """Expected processing fee of one settled purchase: ``amount * percent / 100 + per_item``."""

    percent: Decimal = Field(default=Decimal("2.00"), ge=0, le=100)
    per_item: Decimal = Field(default=Decimal("0.10"), ge=0)


class ReconcileSettings(_Section):
    """Daily settlement reconciliation into the SL general ledger (docs/reconciliation.md).

    Tolerances: the stricter (smaller) of ``tolerance_percent`` of the amount concerned and the
    absolute amount for the currency (``tolerance_absolute`` by ISO code, ``"*"`` otherwise).
    ``gl_accounts`` maps each figure slpay posts to an SL account: a role of ``sl.accounts``
    (``bank``, ``clearing``, ``fees``, ``settlement_diff``, ``fx``) or ``"ACCT"`` /
    ``"ACCT:SUB"``. Revenue, refunds and chargebacks are never mapped (``slpay check`` says why).
    """

    #: Local time (HH:MM) in ``timezone`` when the previous day is reconciled.
    schedule_time: str = "06:00"
    timezone: str = "UTC"
    #: Report subscription name of the Payment Batch Detail report.
    report_name: str = "PaymentBatchDetailReport"
    #: Organization in the settlement key; None = ``cybersource.merchant_id``.
    organization_id: str | None = None
    tolerance_percent: Decimal = Field(default=Decimal("0.50"), ge=0, le=100)
    tolerance_absolute: dict[str, Decimal] = Field(default_factory=lambda: {"*": Decimal("1.00")})
    #: Amount-and-date matching: SL document date within this many days of the batch date.
    date_tolerance_days: int = Field(default=2, ge=0, le=31)
    #: An SL document this many days old and still unsettled is "in SL but never settled".
    unsettled_after_days: int = Field(default=3, ge=0, le=365)
    #: How far back SL documents are read as candidates.
    lookback_days: int = Field(default=45, ge=1, le=400)
    #: Fee schedule by ``"CUR:XX"`` (card sub-type VI, MC, AX, DI, DC, JC), ``"CUR"`` or ``"*"``;
    #: empty = fees are not checked.
    fee_schedule: dict[str, FeeRate] = Field(default_factory=lambda: {"*": FeeRate()})
    gl_accounts: dict[str, str] = Field(
        default_factory=lambda: {
            "netTotal": "bank",
            "totalFees": "fees",
            "clearing": "clearing",
            "settlementDifference": "settlement_diff",
            "exchangeDifference": "fx",
        }
    )
    #: Where the daily HTML and CSV reports are written.
    report_dir: Path = Path("reports")
    #: Days with more report rows than this show a progress bar on the command line.
    progress_min_rows: int = Field(default=50_000, ge=0)

    @field_validator("schedule_time")
    @classmethod
    def _hhmm(cls, v: str) -> str:
        hh, _, mm = v.partition(":")
        if not (hh.isdigit() and mm.isdigit() and int(hh) < 24 and int(mm) < 60):
            raise ValueError("a local time HH:MM such as 06:00")
        return f"{int(hh):02d}:{int(mm):02d}"

    @field_validator("timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(v)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("an IANA time zone such as Europe/Paris") from None
        return v


class LogSettings(_Section):
    level: str = "INFO"
    json_format: bool = True
    file: Path | None = None


class _YamlSource(PydanticBaseSettingsSource):
    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]):
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


class Settings(BaseSettings):
    """All of slpay's configuration."""

    model_config = SettingsConfigDict(
        env_prefix="SLPAY_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
        case_sensitive=False,
    )

    cybersource: CybersourceSettings = CybersourceSettings()
    sl: SLSettings = SLSettings()
    hub: HubSettings = HubSettings()
    api: ApiSettings = ApiSettings()
    mapping: MappingSettings = MappingSettings()
    workflows: WorkflowSettings = WorkflowSettings()
    reconcile: ReconcileSettings = ReconcileSettings()
    log: LogSettings = LogSettings()

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        yaml_data = _CURRENT_YAML.get("data", {})
        return (
            init_settings,
            env_settings,
            NestedSecretsSettingsSource(
                file_secret_settings,
                secrets_prefix="",
                secrets_nested_delimiter="__",
                secrets_dir_missing="error",
            ),
            _YamlSource(settings_cls, yaml_data),
        )


_CURRENT_YAML: dict[str, dict[str, Any]] = {}


def _read_yaml(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(
            f"cannot read configuration file: {exc.strerror}", source=str(path)
        ) from exc
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"not valid YAML: {exc}", source=str(path)) from exc
    if not isinstance(data, dict):
        raise ConfigError("the top level must be a mapping of sections", source=str(path))
    return data


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Read the settings once. Errors name the source and the dotted field."""
    path = config_file or os.environ.get("SLPAY_CONFIG")
    source = str(path) if path else "environment"
    _CURRENT_YAML["data"] = _read_yaml(Path(path)) if path else {}
    secrets_dir = os.environ.get("SLPAY_SECRETS_DIR")
    if secrets_dir and not Path(secrets_dir).is_dir():
        raise ConfigError("is not a directory", field="SLPAY_SECRETS_DIR", source="environment")
    try:
        if secrets_dir:
            return Settings(_secrets_dir=secrets_dir, **overrides)
        return Settings(**overrides)
    except PydanticValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        msg = first["msg"]
        if first["type"] == "extra_forbidden":
            msg = "unknown setting"
        raise ConfigError(msg, field=field, source=source) from None
    finally:
        _CURRENT_YAML.pop("data", None)
