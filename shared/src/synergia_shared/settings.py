"""Settings shared by every service, read from the environment (pydantic-settings).

Each service subclasses :class:`ServiceSettings` with its own ``env_prefix``
(``REGISTRY_``, ``MATCHING_``, ``FUNDING_``). A few values are the same for the
whole deployment (the broker, the auth secret); for those the unprefixed name is a
fallback, so an operator can set ``KAFKA_BOOTSTRAP_SERVERS`` once.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from synergia_shared.db_urls import database_url_for
from synergia_shared.messaging.retry_budget import RetryBudget

# Values an operator typically sets once for all services.
_DEPLOYMENT_WIDE = (
    "kafka_bootstrap_servers",
    "kafka_topic_prefix",
    "auth_jwt_secret",
    "auth_jwks_url",
    "auth_issuer",
    "auth_audience",
    "api_keys",
    "environment",
    "log_level",
    "cors_allow_origins",
    "cors_allow_origin_regex",
    "cors_allow_methods",
    "cors_allow_headers",
    "cors_max_age_seconds",
)

DEV_JWT_SECRET = "synergia-development-secret-do-not-use-in-production"  # noqa: S105
# What a projection service sends the registry for its actors' shared contacts outside
# production (make run, the tests), and the registry accepts there: the one credential
# with the scope below and no role, so it opens that endpoint and nothing else.
DEV_SHARED_CONTACTS_KEY = "synergia-dev-shared-contacts-key-do-not-use-in-production"
SHARED_CONTACTS_SCOPE = "registry:shared-contacts:read"
CORRELATION_ID_HEADER = "X-Correlation-ID"
# What a browser frontend sends beyond the CORS-safelisted headers: credentials,
# JSON bodies, the preconditions and idempotency keys writes need, and trace context.
CORS_REQUEST_HEADERS = (
    "Authorization",
    "Content-Type",
    "If-Match",
    "If-None-Match",
    "Idempotency-Key",
    CORRELATION_ID_HEADER,
    "traceparent",
    "tracestate",
)
# What a frontend must be able to read off an answer: the version to send back in
# If-Match, where a created resource is, when to retry, and the id to quote to support.
CORS_EXPOSED_HEADERS = (
    "ETag",
    "Location",
    "Retry-After",
    CORRELATION_ID_HEADER,
    "Idempotent-Replayed",
)
# Matches http(s)://localhost and 127.0.0.1 on any port: what `synergia-dev run` allows.
LOCAL_ORIGINS_REGEX = r"https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", env_nested_delimiter=None)

    service_name: ClassVar[str] = "service"

    environment: Literal["development", "test", "production"] = "development"
    host: str = "127.0.0.1"
    port: int = 8000
    log_level: str = "INFO"

    database_url: str = Field(
        default="",
        description="SQLAlchemy URL of this service's own database (postgresql+asyncpg://…).",
    )
    db_pool_size: int = 20
    db_max_overflow: int = Field(
        default=0,
        description="Connections beyond db_pool_size. SQLAlchemy closes an overflow "
        "connection as soon as it is returned, so under sustained load above the pool "
        "size every such request opens a new connection; 0 makes them wait instead.",
    )
    db_pool_timeout_seconds: float = 30.0
    db_pool_recycle_seconds: int = 1800

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    kafka_topic_prefix: str = Field(
        default="",
        description="Prepended to every topic name; lets several deployments share a cluster.",
    )

    relay_enabled: bool = True
    relay_batch_size: int = Field(
        default=1000,
        ge=1,
        description="Outbox rows a relay round claims and publishes together. Fewer, "
        "larger rounds cost less per event while a backlog drains (1,000: 0.79-0.87x of a "
        "raw producer in the relay bench, 500: 0.64-0.73x); a quiet outbox sends what "
        "it has.",
    )
    relay_poll_interval_seconds: float = 1.0
    relay_check_topics: bool = Field(
        default=False,
        description="Before publishing, check (at most once a second) that the broker "
        "still has the outbox's topics, and keep the rows waiting if not. Only for a "
        "broker that can lose its topics while the service runs: the embedded in-memory "
        "one of the dev and test stacks, which forgets them on restart and then "
        "acknowledges and drops what is sent to them. Kafka keeps its topics; leave off.",
    )
    relay_log_check_interval_seconds: float = Field(
        default=5.0,
        description="How often the relay compares each partition's end on the broker with "
        "the highest offset the broker acknowledged to it (also right after a failed "
        "publish). A log that ends at or below it was lost (a broker that forgot its log, "
        "a topic recreated): the relay republishes what it sent within "
        "retention_outbox_sent_hours (all it still has). One ListOffsets request per check.",
    )
    consumers_enabled: bool = True
    consumer_max_attempts: int = 5
    consumer_backoff_initial_seconds: float = 0.2
    consumer_backoff_max_seconds: float = 5.0
    consumer_attempt_timeout_seconds: float = Field(
        default=30.0,
        description="The longest one attempt at applying an event may take; a slower one "
        "counts as a failed attempt. With consumer_max_attempts and the back-off it makes "
        "the retry budget of a record, from which the consumer's max_poll_interval_ms is "
        "derived (see consumer_max_poll_interval_ms).",
    )
    consumer_fetch_max_wait_ms: int = Field(
        default=500,
        description="How long a fetch waits on the broker for new records. Kafka answers "
        "as soon as records arrive; a broker that holds the fetch for the full wait "
        "(the embedded Tansu does) adds up to this much delivery latency.",
    )
    consumer_session_timeout_ms: int = Field(
        default=10_000,
        description="How long the broker waits for a silent consumer before giving its "
        "partitions to another. Shorter moves partitions of a dead process sooner but "
        "risks needless rebalances; the embedded Tansu also holds a group's first join "
        "for half of it.",
    )
    consumer_metadata_max_age_ms: int = Field(
        default=15_000,
        description="How often a consumer refreshes the cluster metadata. A topic or "
        "partition that appears later (created after the consumer joined, or recreated on "
        "a broker that lost it) is consumed only after a refresh; Kafka's default is 5 min.",
    )
    consumer_heartbeat_interval_ms: int = Field(
        default=3_000, description="Consumer heartbeats; keep below a third of the session."
    )
    retention_sweep_enabled: bool = Field(
        default=True,
        description="Run the retention sweep of the messaging tables in this process. "
        "Safe on every replica (rows are locked with SKIP LOCKED, each deleted once).",
    )
    retention_sweep_interval_seconds: float = Field(
        default=600.0, gt=0, description="Pause between two sweeps of the messaging tables."
    )
    retention_sweep_batch_size: int = Field(
        default=1000,
        gt=0,
        description="Rows deleted per transaction: small, so no sweep transaction holds "
        "locks or a snapshot for long.",
    )
    retention_outbox_sent_hours: float = Field(
        default=168.0,
        gt=0,
        description="Sent outbox rows are kept this long after the broker acknowledged "
        "them: the window within which a service's events can be republished after a "
        "broker or topic loss (7 days). Unsent rows are never deleted.",
    )
    retention_inbox_hours: float = Field(
        default=720.0,
        gt=0,
        description="Inbox rows (which event each consumer applied) are kept this long: "
        "beyond the longest redelivery horizon, so a redelivered event is still "
        "recognised. At least retention_outbox_sent_hours (a republish within that "
        "window redelivers); 30 days by default, the DLQ topics' retention too.",
    )
    retention_idempotency_keys_hours: float = Field(
        default=24.0,
        gt=0,
        description="An Idempotency-Key and its stored answer are kept this long: a "
        "client retrying after that is treated as a new request.",
    )
    retention_dead_letters_replayed_hours: float = Field(
        default=720.0,
        gt=0,
        description="Dead letters that were replayed are deleted this long after their "
        "replay (30 days); dead letters not yet replayed are never deleted.",
    )
    drain_timeout_seconds: float = 10.0
    gc_young_threshold: int = Field(
        default=10_000,
        description="After startup, freeze what exists and set the garbage collector's "
        "youngest-generation threshold to this (Python's default is 700); 0 leaves the "
        "collector as Python configures it.",
    )

    body_limit_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body of a single-resource route (an actor, a value "
        "chain, a search): refused with 413 while it is read, before it is parsed.",
    )
    batch_body_limit_bytes: int = Field(
        default=16 * 1024 * 1024,
        gt=0,
        description="Largest body of a batch route (JSON items or a CSV of them, read whole).",
    )
    upload_body_limit_bytes: int = Field(
        default=256 * 1024 * 1024,
        gt=0,
        description="Largest streamed import (CORDIS, ESIF): read row by row, never whole.",
    )

    auth_jwt_secret: SecretStr | None = None
    auth_jwks_url: str | None = None
    auth_issuer: str = "synergia"
    auth_audience: str = "synergia"
    auth_token_cache_size: int = Field(
        default=4096,
        description="Verified bearer tokens remembered (LRU) so a client's next request "
        "skips signature verification; 0 turns the cache off.",
    )
    auth_token_cache_ttl_seconds: float = Field(
        default=300.0,
        description="A remembered token is re-verified after this long, or at its exp if sooner.",
    )
    api_keys: str = Field(
        default="[]",
        description=(
            "JSON list of machine clients: "
            '[{"name": "…", "sha256": "<hex digest of the key>", "roles": ["authority"],'
            ' "region": "ITH3"}]'
        ),
    )

    # CORS: which browser origins may call the API. None by default in every environment
    # (a production deployment names its frontends); `synergia-dev run` allows any port
    # of localhost and 127.0.0.1 through the regex (devstack/stack.py).
    cors_allow_origins: str = Field(
        default="[]",
        description="JSON list of origins allowed to call the API from a browser, e.g. "
        '["https://synergia.example.eu"]; "*" is refused (the API takes credentials).',
    )
    cors_allow_origin_regex: str | None = Field(
        default=None,
        description="A regular expression an origin may match instead (whole match), e.g. "
        r"https?://(localhost|127\.0\.0\.1)(:\d+)? for local development.",
    )
    cors_allow_methods: str = Field(
        default='["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]',
        description="JSON list of methods a cross-origin request may use.",
    )
    cors_allow_headers: str = Field(
        default=json.dumps(list(CORS_REQUEST_HEADERS)),
        description="JSON list of request headers a cross-origin request may send.",
    )
    cors_max_age_seconds: int = Field(
        default=600, ge=0, description="How long a browser may cache a preflight's answer."
    )

    @field_validator("cors_allow_origin_regex", mode="before")
    @classmethod
    def _empty_regex_is_none(cls, value: object) -> object:
        # A deployment states every setting (deploy/k8s): empty says "no regex", not a
        # regex matching only the empty origin.
        return None if isinstance(value, str) and not value.strip() else value

    def cors_origins(self) -> list[str]:
        return _json_strings(self.cors_allow_origins, "CORS_ALLOW_ORIGINS")

    def cors_methods(self) -> list[str]:
        return _json_strings(self.cors_allow_methods, "CORS_ALLOW_METHODS")

    def cors_headers(self) -> list[str]:
        return _json_strings(self.cors_allow_headers, "CORS_ALLOW_HEADERS")

    @property
    def consumer_max_poll_interval_ms(self) -> int:
        """Derived, not set: how long a consumer may go without polling before Kafka
        evicts it. One record's retry budget (every attempt timing out, plus the
        back-off between them) and one more attempt's time for parking and committing;
        with the defaults 5 x 30 s + 3 s + 30 s = 183 s."""
        return self.consumer_retry_budget().max_poll_interval_ms

    def consumer_retry_budget(self) -> RetryBudget:
        return RetryBudget(
            self.consumer_max_attempts,
            self.consumer_attempt_timeout_seconds,
            self.consumer_backoff_initial_seconds,
            self.consumer_backoff_max_seconds,
        )

    @model_validator(mode="before")
    @classmethod
    def _deployment_wide_fallbacks(cls, values: Any) -> Any:
        if not isinstance(values, dict):
            return values
        for name in _DEPLOYMENT_WIDE:
            if values.get(name) in (None, "") and (env := os.environ.get(name.upper())):
                values[name] = env
        if not values.get("database_url") and (server := os.environ.get("DATABASE_URL")):
            values["database_url"] = database_url_for(server, cls.service_name)
        return values

    @model_validator(mode="after")
    def _inbox_outlives_the_republish_window(self) -> ServiceSettings:
        if self.retention_inbox_hours < self.retention_outbox_sent_hours:
            raise ValueError(
                "retention_inbox_hours must be at least retention_outbox_sent_hours: an "
                "event republished from the outbox within its retention must still find "
                "its inbox row, or it would be applied twice"
            )
        return self

    @model_validator(mode="after")
    def _check_cors(self) -> ServiceSettings:
        origins = self.cors_origins()
        if "*" in origins:
            raise ValueError(
                "CORS_ALLOW_ORIGINS: '*' is not allowed (the API takes credentials); "
                "list the frontends' origins or use CORS_ALLOW_ORIGIN_REGEX"
            )
        self.cors_methods()
        self.cors_headers()
        if self.cors_allow_origin_regex is not None:
            try:
                re.compile(self.cors_allow_origin_regex)
            except re.error as exc:
                message = f"CORS_ALLOW_ORIGIN_REGEX is not a regular expression: {exc}"
                raise ValueError(message) from None
        return self

    @model_validator(mode="after")
    def _require_secrets_in_production(self) -> ServiceSettings:
        if not self.database_url:
            raise ValueError(
                f"{self.service_name}: set {self.service_name.upper()}_DATABASE_URL or DATABASE_URL"
            )
        if self.auth_jwt_secret is None and self.auth_jwks_url is None:
            if self.environment == "production":
                raise ValueError("production needs AUTH_JWKS_URL or AUTH_JWT_SECRET")
            self.auth_jwt_secret = SecretStr(DEV_JWT_SECRET)
        return self

    def topic(self, name: str) -> str:
        return f"{self.kafka_topic_prefix}{name}"

    def parsed_api_keys(self) -> list[dict[str, Any]]:
        keys = json.loads(self.api_keys)
        if not isinstance(keys, list):
            raise ValueError("API_KEYS must be a JSON list")
        if self.environment != "production":
            keys = [*keys, DEV_SHARED_CONTACTS_API_KEY]
        return keys


def _json_strings(value: str, name: str) -> list[str]:
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ValueError(f"{name} must be a JSON list of strings: {exc}") from None
    if not isinstance(parsed, list) or not all(isinstance(item, str) for item in parsed):
        raise ValueError(f"{name} must be a JSON list of strings")
    return parsed


DEV_SHARED_CONTACTS_API_KEY: dict[str, Any] = {
    "name": "dev-shared-contacts",
    "sha256": hashlib.sha256(DEV_SHARED_CONTACTS_KEY.encode()).hexdigest(),
    "roles": [],
    "scopes": [SHARED_CONTACTS_SCOPE],
}


class ProjectionSettings(ServiceSettings):
    """Settings of a service that projects the registry's actors and shows their shared
    contact persons (matching, funding): it fetches them from the registry in the
    background (``synergia_shared.projections.contact_fetcher``)."""

    registry_url: str = Field(
        default="http://127.0.0.1:8001",
        description="Base URL of the registry, for fetching actors' shared contacts.",
    )
    registry_api_key: SecretStr | None = Field(
        default=None,
        description="The registry API key with the registry:shared-contacts:read scope "
        "(and no role). Required in production; elsewhere the development key.",
    )
    contact_fetch_enabled: bool = True
    contact_fetch_interval_seconds: float = Field(
        default=0.5, gt=0, description="How often the fetcher looks for due fetches."
    )
    contact_fetch_batch_size: int = Field(default=20, ge=1)
    contact_fetch_timeout_seconds: float = Field(default=5.0, gt=0)
    contact_fetch_backoff_initial_seconds: float = Field(default=1.0, gt=0)
    contact_fetch_backoff_max_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A fetch that failed (registry unreachable) is retried after 1 s, "
        "doubling up to this; it is never given up.",
    )

    @model_validator(mode="after")
    def _registry_credential(self) -> ProjectionSettings:
        # Production must name its key (the fetcher refuses to start without one); the
        # migration Job reads these settings too and is not given it.
        if self.registry_api_key is None and self.environment != "production":
            self.registry_api_key = SecretStr(DEV_SHARED_CONTACTS_KEY)
        return self
