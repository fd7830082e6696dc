"""The console controller's settings: the clinic's, the console's own (the remembered staff
name, alarm limits, NIBP interval) and the alarm profile they make together."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from sessionmon.accounts.model import Role
from sessionmon.clinic import ClinicSettings
from sessionmon.errors import UserError
from sessionmon.ui.settings import ConsoleSettings

if TYPE_CHECKING:  # pragma: no cover - typing only
    from sessionmon.ui.controller_wiring import ControllerWiring

    _Base = ControllerWiring
else:
    _Base = object

#: The controller's logger: records keep the name they had before the split.
log = logging.getLogger("sessionmon.ui.controller")


def clinic_alarm_file() -> str | None:
    """Return the clinic's alarm settings file ``alarms.toml`` in the settings folder, if any."""
    from sessionmon.paths import config_dir

    path = config_dir() / "alarms.toml"
    return str(path) if path.is_file() else None


class ConsoleConfiguration(_Base):
    """Loads and keeps the clinic and console settings and builds the alarm profile."""

    __slots__ = ()  # the controller keeps the state; a mixin adds no instance layout

    def _load_clinic(self) -> ClinicSettings:
        try:
            return ClinicSettings.load()
        except UserError as exc:
            log.error("clinic settings not loaded: %s", exc)
            return ClinicSettings()

    def save_clinic(self, clinic: ClinicSettings) -> None:
        """Keep the clinic settings (validated by the model) in the settings folder.

        Raises
        ------
        UserError
            The file cannot be written.
        """
        try:
            clinic.save()
        except OSError as exc:
            raise UserError(f"cannot save the clinic settings: {exc.strerror or exc}") from None
        self.clinic = clinic
        self.info.emit("Clinic settings saved.")

    def _profile(self) -> Any:
        from sessionmon.alarms import default_profile, load_profile

        profile = default_profile()
        path = self.settings.alarm_profile_path or clinic_alarm_file()
        if path:
            try:
                profile = load_profile(path)
            except UserError as exc:
                self.error.emit(f"{exc}; using the default alarm profile")
        if self.settings.alarm_limits:
            try:
                profile = profile.with_overrides(self.settings.alarm_limits)
            except UserError as exc:
                self.error.emit(f"saved alarm limits ignored: {exc}")
        return profile

    def set_alarm_limits(self, overrides: dict[str, Any], profile: Any) -> Any | None:
        """Apply validated alarm-limit changes to the session and remember them.

        Remembering them changes this console's alarm defaults for every later session (the
        clinic alarm profile in force here): with accounts, only an admin may, and each change
        is recorded in the audited clinic-changes log with the defaults before and after. Any
        signed-in user may change the running session's limits.
        """
        result = self._intent(lambda rt: rt.set_alarm_limits(self.staff, **overrides))
        if result is not None:
            refusal = self.user.refusal(Role.ADMIN, doing="change the clinic alarm defaults")
            if refusal:
                self.info.emit(f"Alarm limits changed for this session only. {refusal}")
                return result
            before = dict(self.settings.alarm_limits)
            merged = dict(before)
            merged.update(overrides)
            self.settings.alarm_limits = merged
            if self.user.signed_in and not self.simulator:
                self.user.audit_change(self.store, "alarm_defaults", before, merged)
            self._save_settings(self.settings)
        return result

    def alarm_limits_refusal(self) -> str | None:
        """Why the alarm limits cannot be changed now (None when they can)."""
        if self.read_only_session is not None:
            return "This session is read-only: its alarm limits cannot be changed."
        if self.runtime is not None and self.runtime.locked:
            return "This session is closed: its alarm limits cannot be changed."
        return None

    def alarm_settings_file(self) -> str | None:
        """The clinic alarm settings file the profile is read from, if any."""
        path = self.settings.alarm_profile_path or clinic_alarm_file()
        return str(path) if path else None

    def current_profile(self) -> Any:
        """The alarm profile in force (the session's, or the configured one)."""
        if self.runtime is not None:
            return self.runtime.profile
        return self._profile()

    def _save_settings(self, settings: ConsoleSettings) -> bool:
        """Write ``settings``; a failure (read-only or full disk) is told, never raised.

        Saving is a side effect of intents (the dose, a sign-off): it must never stop them.
        """
        try:
            self._settings_saver(settings)
        except (OSError, ValueError, TypeError) as exc:
            log.warning("settings not saved: %s", exc)
            self.error.emit(f"Console settings not saved: {exc}")
            return False
        return True

    def save_settings(self) -> bool:
        """Write the console settings now; returns whether they were saved."""
        return self._save_settings(self.settings)

    def _remember_staff(self, name: str) -> None:
        if self.user.signed_in:
            return  # the signed-in user is named, not remembered
        name = name.strip()
        if name and name != self.settings.staff_name:
            self.settings.staff_name = name
            self._save_settings(self.settings)
