"""The session runtime: wires vitals sources to the store, the alarm engine and the protocol."""

from sessionmon.runtime.errors import IntentRefusedError, SessionLockedError
from sessionmon.runtime.patient_details import RemsFieldsMissingError
from sessionmon.runtime.rems_sign_off import RemsFormIncompleteError
from sessionmon.runtime.session_runtime import SessionRuntime
from sessionmon.runtime.snapshot import (
    DeviceStatus,
    Marker,
    NibpStatus,
    PlethView,
    RuntimeSnapshot,
    VitalValue,
)

__all__ = [
    "DeviceStatus",
    "IntentRefusedError",
    "Marker",
    "NibpStatus",
    "PlethView",
    "RemsFieldsMissingError",
    "RemsFormIncompleteError",
    "RuntimeSnapshot",
    "SessionLockedError",
    "SessionRuntime",
    "VitalValue",
]
