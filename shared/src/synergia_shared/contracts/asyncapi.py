"""The AsyncAPI 3.0 document of the event bus, generated from the catalogue.

Channels are the topics and their ``.dlq`` siblings; each service *sends* the events
the catalogue says it is the source of, and each of its inbox consumers *receives* the
event types it handles and *sends* what it cannot apply to the DLQ.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from importlib.metadata import version
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from synergia_shared.events.catalogue import CATALOGUE, EventSpec
from synergia_shared.events.envelope import CONTENT_TYPE, CloudEvent
from synergia_shared.events.topics import ALL_TOPICS, dlq
from synergia_shared.messaging.inbox import InboxConsumer

Document = dict[str, Any]

KAFKA_BINDING_VERSION = "0.5.0"
DEAD_LETTER = "deadLetter"

_DESCRIPTION = """\
Events between the Synergia services: CloudEvents 1.0 in structured JSON mode
(`content-type: application/cloudevents+json`), one JSON object per Kafka record.
The record key is the aggregate id (the envelope's `subject`), so one aggregate's events
stay in one partition and in order; `sequence` is the aggregate's version.
Consumers apply each event exactly once (inbox) and ignore fields they do not know.
A new field is optional; removing or retyping one is a new event version (`.v2`).
Topic names may carry a deployment prefix (`KAFKA_TOPIC_PREFIX`)."""


def build_asyncapi(consumers_by_service: Mapping[str, Sequence[InboxConsumer]]) -> Document:
    """The whole document; ``consumers_by_service`` are the consumers each service runs."""
    schemas, refs = _component_schemas()
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Synergia events",
            "version": version("synergia-shared"),
            "description": _DESCRIPTION,
        },
        "defaultContentType": CONTENT_TYPE,
        "channels": _channels(),
        "operations": {
            **_send_operations(),
            **_receive_operations(consumers_by_service),
        },
        "components": {
            "schemas": schemas,
            "messages": {
                **{_message_id(spec): _message(spec, refs) for spec in CATALOGUE.values()},
                DEAD_LETTER: _dead_letter_message(),
            },
        },
    }


def _component_schemas() -> tuple[dict[str, Any], dict[type[BaseModel], str]]:
    """Schemas of the envelope and every payload, and each model's ``$ref``."""
    models: list[type[BaseModel]] = [CloudEvent, *(spec.model for spec in CATALOGUE.values())]
    inputs: list[tuple[type[BaseModel], JsonSchemaMode]] = [(m, "validation") for m in models]
    keyed, definitions = models_json_schema(inputs, ref_template="#/components/schemas/{model}")
    refs = {model: keyed[(model, mode)]["$ref"] for model, mode in inputs}
    return definitions.get("$defs", {}), refs


def _channel_id(topic: str) -> str:
    return topic.replace(".", "_")


def _message_id(spec: EventSpec) -> str:
    return spec.type.removeprefix("eu.synergia.").replace(".", "_")


def _channel_ref(topic: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{_channel_id(topic)}"}


def _message_ref(topic: str, message_id: str) -> dict[str, str]:
    return {"$ref": f"#/channels/{_channel_id(topic)}/messages/{message_id}"}


def _service_of(spec: EventSpec) -> str:
    return spec.source.rstrip("/").rsplit("/", 1)[-1]


def _kafka_channel(topic: str) -> dict[str, Any]:
    return {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}}


def _channels() -> Document:
    channels: Document = {}
    for topic in ALL_TOPICS:
        specs = [spec for spec in CATALOGUE.values() if spec.topic == topic]
        channels[_channel_id(topic)] = {
            "address": topic,
            "title": topic,
            "description": f"Events of the `{topic}` aggregates, keyed by aggregate id.",
            "messages": {
                _message_id(spec): {"$ref": f"#/components/messages/{_message_id(spec)}"}
                for spec in specs
            },
            "bindings": _kafka_channel(topic),
        }
        channels[_channel_id(dlq(topic))] = {
            "address": dlq(topic),
            "title": dlq(topic),
            "description": f"Records of `{topic}` that a consumer could not apply after "
            "its retries, parked as they were (also kept in the consumer's `dead_letters` "
            "table, replayable through `POST /v1/admin/dead-letters/{id}/replay`).",
            "messages": {DEAD_LETTER: {"$ref": f"#/components/messages/{DEAD_LETTER}"}},
            "bindings": _kafka_channel(dlq(topic)),
        }
    return channels


def _send_operations() -> Document:
    operations: Document = {}
    by_service_topic: dict[tuple[str, str], list[EventSpec]] = {}
    for spec in CATALOGUE.values():
        by_service_topic.setdefault((_service_of(spec), spec.topic), []).append(spec)
    for (service, topic), specs in by_service_topic.items():
        operations[f"{service}_sends_{_channel_id(topic)}"] = {
            "action": "send",
            "channel": _channel_ref(topic),
            "summary": f"The {service} service publishes these events through its outbox.",
            "messages": [_message_ref(topic, _message_id(spec)) for spec in specs],
            "tags": [{"name": service}],
        }
    return operations


def _receive_operations(consumers_by_service: Mapping[str, Sequence[InboxConsumer]]) -> Document:
    operations: Document = {}
    for service, consumers in consumers_by_service.items():
        for consumer in consumers:
            name = consumer.name.replace(".", "_")
            group = {"groupId": {"type": "string", "enum": [consumer.name]}}
            for topic in consumer.topics:
                handled = [
                    spec
                    for event_type in consumer.handlers
                    if (spec := CATALOGUE.get(event_type)) is not None and spec.topic == topic
                ]
                operations[f"{name}_receives_{_channel_id(topic)}"] = {
                    "action": "receive",
                    "channel": _channel_ref(topic),
                    "summary": f"The {service} consumer group `{consumer.name}` applies these "
                    "events exactly once; it skips other types.",
                    "messages": [_message_ref(topic, _message_id(spec)) for spec in handled],
                    "bindings": {"kafka": {**group, "bindingVersion": KAFKA_BINDING_VERSION}},
                    "tags": [{"name": service}],
                }
                operations[f"{name}_parks_{_channel_id(dlq(topic))}"] = {
                    "action": "send",
                    "channel": _channel_ref(dlq(topic)),
                    "summary": f"`{consumer.name}` parks what it cannot apply.",
                    "messages": [_message_ref(dlq(topic), DEAD_LETTER)],
                    "tags": [{"name": service}],
                }
    return operations


_CONTENT_TYPE_HEADER = {"type": "string", "const": CONTENT_TYPE}
_KAFKA_KEY = {"type": "string", "description": "The aggregate id, equal to `subject`."}


def _message(spec: EventSpec, refs: Mapping[type[BaseModel], str]) -> Document:
    doc = (spec.model.__doc__ or "").strip()
    return {
        "name": spec.type,
        "title": spec.model.__name__,
        "summary": doc.splitlines()[0] if doc else spec.type,
        "contentType": CONTENT_TYPE,
        "headers": {
            "type": "object",
            "properties": {"content-type": _CONTENT_TYPE_HEADER},
            "required": ["content-type"],
        },
        "payload": {
            "allOf": [
                {"$ref": refs[CloudEvent]},
                {
                    "type": "object",
                    "properties": {
                        "type": {"const": spec.type},
                        "source": {"const": spec.source},
                        "dataschema": {"const": spec.dataschema},
                        "data": {"$ref": refs[spec.model]},
                    },
                },
            ]
        },
        "correlationId": {
            "description": "The request (or event) that caused this event.",
            "location": "$message.payload#/correlationid",
        },
        "bindings": {"kafka": {"key": _KAFKA_KEY, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _dead_letter_message() -> Document:
    def header(description: str) -> dict[str, str]:
        return {"type": "string", "description": description}

    return {
        "name": "dead-letter",
        "title": "Parked record",
        "summary": "A record a consumer could not apply, unchanged, with why and where from.",
        "headers": {
            "type": "object",
            "description": "The original record's headers, plus these.",
            "properties": {
                "content-type": _CONTENT_TYPE_HEADER,
                "x-dlq-error": header("Why it could not be applied (at most 4000 characters)."),
                "x-dlq-consumer": header("The consumer group that parked it."),
                "x-dlq-original-topic": header("Where it was read."),
                "x-dlq-original-partition": header("Its partition there (decimal)."),
                "x-dlq-original-offset": header("Its offset there (decimal)."),
                "x-dlq-attempts": header("How often it was tried (decimal)."),
            },
            "required": [
                "x-dlq-error",
                "x-dlq-consumer",
                "x-dlq-original-topic",
                "x-dlq-original-partition",
                "x-dlq-original-offset",
                "x-dlq-attempts",
            ],
        },
        "payload": {
            "description": "The original record's value, unchanged: usually one of the "
            "topic's CloudEvents, but it may be malformed (that can be why it is here)."
        },
        "bindings": {"kafka": {"key": _KAFKA_KEY, "bindingVersion": KAFKA_BINDING_VERSION}},
    }
