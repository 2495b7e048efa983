"""Prometheus metrics every service exposes on ``/metrics``."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

HTTP_REQUESTS = Counter(
    "synergia_http_requests_total",
    "HTTP requests handled, by method, route template and status code.",
    ["method", "route", "status"],
)
HTTP_LATENCY = Histogram(
    "synergia_http_request_duration_seconds",
    "HTTP request latency, by method and route template.",
    ["method", "route"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
OUTBOX_BACKLOG = Gauge(
    "synergia_outbox_backlog",
    "Events committed to the outbox and not yet acknowledged by the broker.",
)
OUTBOX_PUBLISHED = Counter(
    "synergia_outbox_published_total", "Events the relay published and marked sent."
)
OUTBOX_REPUBLISHED = Counter(
    "synergia_outbox_republished_total",
    "Sent events marked unsent to be published again: the broker lost its log "
    "(reason broker-lost-log), or an operator asked (reason operator).",
    ["reason"],
)
CONSUMER_LAG = Gauge(
    "synergia_consumer_lag",
    "Messages between a consumer's position and the partition's high watermark.",
    ["consumer", "topic", "partition"],
)
CONSUMER_OFFSET_RESETS = Counter(
    "synergia_consumer_offset_resets_total",
    "Times a consumer found its position beyond a partition's log (the broker lost the "
    "log, or the topic was recreated) and started again from the earliest offset.",
    ["consumer", "topic"],
)
EVENTS_APPLIED = Counter(
    "synergia_events_applied_total", "Events applied by a consumer.", ["consumer", "type"]
)
EVENTS_DUPLICATE = Counter(
    "synergia_events_duplicate_total",
    "Redelivered events skipped because the inbox had them already.",
    ["consumer"],
)
DLQ_PARKED = Counter(
    "synergia_dlq_parked_total", "Events parked on a dead-letter queue.", ["consumer", "topic"]
)
DLQ_OPEN = Gauge(
    "synergia_dlq_open", "Parked events not yet replayed, as last counted.", ["consumer"]
)
BROKER_UP = Gauge(
    "synergia_broker_up", "Whether the broker answered a metadata request, as /status last saw."
)
RELAY_RUNNING = Gauge("synergia_relay_running", "Whether the outbox relay's loop runs.")
RELAY_BROKER_OK = Gauge(
    "synergia_relay_broker_ok",
    "Whether the relay's last round reached the broker (0 while it fails: rows wait).",
)
CONSUMER_RUNNING = Gauge(
    "synergia_consumer_running",
    "Whether a consumer has joined the broker and runs.",
    ["consumer"],
)
CONSUMER_ASSIGNED = Gauge(
    "synergia_consumer_assigned",
    "Whether a consumer had partitions assigned at its last fetch.",
    ["consumer"],
)
CONTACT_FETCHES = Counter(
    "synergia_shared_contact_fetches_total",
    "Fetches of actors' shared contacts from the registry (matching, funding), by outcome: "
    "stored; stale (read before an erasure, or older than what is held); gone (no such "
    "actor); failed (retried later).",
    ["outcome"],
)
RETENTION_DELETED = Counter(
    "synergia_retention_deleted_total",
    "Rows the retention sweeps deleted, by table (outbox, inbox, idempotency_keys, dead_letters).",
    ["table"],
)
RETENTION_LAST_SWEEP = Gauge(
    "synergia_retention_last_sweep_timestamp_seconds",
    "When a retention sweep last went through a table to its end (Unix time).",
    ["table"],
)
