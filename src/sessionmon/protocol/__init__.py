"""Session protocol: schedules of checks, checklists scored as data, discharge criteria.

Plain Python with no clock of its own: every evaluation takes the current time as an argument.
"""

from sessionmon.protocol.config import ProtocolConfig
from sessionmon.protocol.discharge import (
    Criterion,
    DischargeDecision,
    evaluate_discharge,
    minutes_until_ready,
)
from sessionmon.protocol.patient_now import AlarmFact, PatientNow, VitalLimit, limits_from_profile
from sessionmon.protocol.protocol import SessionProtocol
from sessionmon.protocol.scales import (
    SCALES,
    Band,
    Choice,
    ScaleDefinition,
    ScaleItem,
    get_scale,
    load_item_wording,
    load_scale_file,
    with_item_wording,
)
from sessionmon.protocol.schedule import (
    BpSlot,
    CheckState,
    CheckStatus,
    active_conditions,
    bp_slots,
    checks,
    nibp_due,
)
from sessionmon.protocol.scoring import ChecklistResult, ItemAnswer, score_checklist
from sessionmon.protocol.state import BpReading, ChecklistEntry, ProtocolState

__all__ = [
    "SCALES",
    "AlarmFact",
    "Band",
    "BpReading",
    "BpSlot",
    "CheckState",
    "CheckStatus",
    "ChecklistEntry",
    "ChecklistResult",
    "Choice",
    "Criterion",
    "DischargeDecision",
    "ItemAnswer",
    "PatientNow",
    "ProtocolConfig",
    "ProtocolState",
    "ScaleDefinition",
    "ScaleItem",
    "SessionProtocol",
    "VitalLimit",
    "active_conditions",
    "bp_slots",
    "checks",
    "evaluate_discharge",
    "get_scale",
    "limits_from_profile",
    "load_item_wording",
    "load_scale_file",
    "minutes_until_ready",
    "nibp_due",
    "score_checklist",
    "with_item_wording",
]
