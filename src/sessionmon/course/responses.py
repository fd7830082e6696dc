"""One completed outcome questionnaire (PHQ-9, GAD-7, PCL-5, a licensed measure)."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Context(StrEnum):
    """When and how a questionnaire was given."""

    PRE_SESSION = "pre-session"
    FOLLOW_UP = "follow-up"
    TABLET = "tablet"
    IN_SESSION = "in-session"


class OutcomeResponse(BaseModel):
    """A scored questionnaire. ``items`` maps item number to score (empty: total only)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: uuid.UUID = Field(default_factory=uuid.uuid4)
    course_id: uuid.UUID
    session_id: uuid.UUID | None = None
    scale: str = Field(min_length=1, max_length=40)
    total: int
    interpretation: str
    items: dict[int, int] = Field(default_factory=dict)
    at: datetime
    by: str | None = Field(default=None, max_length=200)
    context: Context = Context.PRE_SESSION
    alerts: tuple[str, ...] = Field(default=(), description="Alarm messages the answers raised")
