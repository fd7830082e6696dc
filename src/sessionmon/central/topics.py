"""Topic names: ``sessionmon/<clinic>/<chair>/<kind>`` and central's acknowledgements."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sessionmon.central.config import RESERVED_NAMES

ROOT = "sessionmon"

#: What a chair publishes (one topic each).
CHAIR_KINDS = ("status", "vitals", "alarms", "online")

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.-]{0,31}"
_CHAIR_TOPIC = re.compile(rf"^{ROOT}/(?P<clinic>{_NAME})/(?P<chair>{_NAME})/(?P<kind>[a-z]+)$")


def chair_topic(clinic: str, chair: str, kind: str) -> str:
    """Return the topic of one of a chair's messages, e.g. ``sessionmon/c/room1/alarms``."""
    return f"{ROOT}/{clinic}/{chair}/{kind}"


def seen_topic(clinic: str, chair: str) -> str:
    """Return the topic central acknowledges a chair's alarms on.

    It is outside the chair's own subtree so the broker's ACL can let central write it and the
    chair only read it: ``sessionmon/<clinic>/central/seen/<chair>``.
    """
    return f"{ROOT}/{clinic}/central/seen/{chair}"


def chair_subscription(clinic: str) -> str:
    """What central subscribes to: every chair's messages."""
    return f"{ROOT}/{clinic}/+/+"


@dataclass(frozen=True)
class ChairTopic:
    """A parsed chair topic."""

    clinic: str
    chair: str
    kind: str


def parse_chair_topic(topic: str) -> ChairTopic | None:
    """Return the clinic, chair and kind of a chair topic, or None if it is not one."""
    match = _CHAIR_TOPIC.match(topic)
    if match is None or match["kind"] not in CHAIR_KINDS:
        return None
    if match["chair"].lower() in RESERVED_NAMES:
        return None
    return ChairTopic(match["clinic"], match["chair"], match["kind"])
