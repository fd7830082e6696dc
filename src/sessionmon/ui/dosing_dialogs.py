"""Opening the dosing dialogs: dose / infusion, safety checklist, prescriber override, waste.

The window's ``show_dose``, ``show_safety_checklist``, ``show_override`` and ``show_waste`` call
these; each builds its dialog from the runtime's :meth:`dosing_status` and wires its submit to the
controller.
"""

from __future__ import annotations

from typing import Any

from sessionmon.protocol.safety import SAFETY_CHECKLIST, item_label
from sessionmon.ui.dialogs.dose import DoseDialog
from sessionmon.ui.dialogs.safety import OverrideDialog, SafetyChecklistDialog
from sessionmon.ui.dialogs.waste import WasteDialog
from sessionmon.ui.sign_in_flow import lock_by


def open_dose(window: Any) -> DoseDialog | None:
    """Open the dose dialog: the next nasal device, the IV infusion start, or its stop."""
    runtime = window.controller.runtime
    if runtime is None:
        window.controller.error.emit("Start a session first.")
        return None
    c = window.controller
    status = runtime.dosing_status()
    lot = runtime.session.treatment.lot_number or ""
    dialog = DoseDialog(status, lot, c.staff or "", runtime.snapshot().now, item_label, window)
    lock_by(c, dialog.by)

    def give() -> Any:
        by, note = dialog.by.text().strip(), dialog.note.text().strip()
        if dialog.stopping:
            return c.stop_infusion(by, note)
        confirm = dialog.confirm_unanswered.isChecked()
        return c.dose(by, note, confirm_unanswered=confirm, **dialog.details())

    def refreshed_safety() -> None:
        if window.controller.runtime is not None:
            dialog.show_safety(window.controller.runtime.dosing_status(), item_label)

    def open_safety() -> None:
        safety = window.show_safety_checklist()
        if safety is not None:
            safety.accepted.connect(refreshed_safety)

    def open_override() -> None:
        override = window.show_override()
        if override is not None:
            override.accepted.connect(refreshed_safety)

    dialog.submit = lambda: c.submit(give)
    dialog.open_safety = open_safety
    dialog.open_override = open_override
    return window._open("dose", dialog)


def open_safety_checklist(window: Any) -> SafetyChecklistDialog | None:
    """Open the pre-session safety checklist (before the first dose)."""
    runtime = window.controller.runtime
    if runtime is None:
        window.controller.error.emit("Start a session first.")
        return None
    status = runtime.dosing_status()
    items = SAFETY_CHECKLIST.for_drug(status.drug)
    dialog = SafetyChecklistDialog(items, status.answers, window)
    c = window.controller
    dialog.submit = lambda: c.submit(lambda: c.record_safety_checklist(dialog.answers()))
    return window._open("safety", dialog)


def open_override(window: Any) -> OverrideDialog | None:
    """Open the prescriber's override of a contraindication answered yes."""
    runtime = window.controller.runtime
    if runtime is None:
        window.controller.error.emit("Start a session first.")
        return None
    labels = [item_label(k) for k in runtime.dosing_status().contraindications]
    dialog = OverrideDialog(labels, window)
    c = window.controller
    lock_by(c, dialog.prescriber)
    dialog.submit = lambda: c.submit(
        lambda: c.override_contraindication(
            dialog.prescriber.text().strip(), dialog.reason.toPlainText().strip()
        )
    )
    return window._open("override", dialog)


def open_waste(window: Any) -> WasteDialog | None:
    """Open the drug-wasted dialog (controlled-substance log)."""
    runtime = window.controller.runtime
    if runtime is None:
        window.controller.error.emit("Start a session first.")
        return None
    treatment = runtime.session.treatment
    c = window.controller
    dialog = WasteDialog(treatment.drug.value, treatment.lot_number or "", c.staff or "", window)
    lock_by(c, dialog.by)

    def waste() -> Any:
        details = {"lot_number": dialog.lot.text().strip() or None}
        if dialog.note.text().strip():
            details["text"] = dialog.note.text().strip()
        return c.record_waste(
            dialog.amount.value(),
            dialog.witness.text().strip(),
            dialog.by.text().strip(),
            **details,
        )

    dialog.submit = lambda: c.submit(waste)
    return window._open("waste", dialog)
