"""A multiparameter monitor set up as the oximeter is the session's respiration source too, and
the discharge criteria ask only for the breathing measures it has delivered (a monitor without
a CO2 module is not asked for an etCO2); a capnograph of its own is asked for both."""

from __future__ import annotations

from sessionmon.devices.source import DeviceRole
from sessionmon.model import Kind
from sessionmon.runtime.monitor_roles import breathing_kinds, respiration_source
from test_discharge import PROTO, blocking, breathing_state, m


class _Device:
    def __init__(self, *roles: DeviceRole) -> None:
        self.roles = roles


MONITOR = _Device(DeviceRole.OXIMETER, DeviceRole.NIBP, DeviceRole.RESPIRATION)
OXIMETER = _Device(DeviceRole.OXIMETER)
CAPNOGRAPH = _Device(DeviceRole.RESPIRATION)


def test_the_monitor_is_the_respiration_source_unless_a_capnograph_is_given():
    assert respiration_source(None, MONITOR, MONITOR) is MONITOR
    assert respiration_source(CAPNOGRAPH, MONITOR, None) is CAPNOGRAPH
    assert respiration_source(None, OXIMETER, None) is None


def test_a_shared_monitor_is_asked_only_for_what_it_delivered():
    others = (MONITOR, MONITOR)
    assert breathing_kinds(MONITOR, others, {}) == ()
    assert breathing_kinds(MONITOR, others, {Kind.RESP_RATE: 1}) == ("resp_rate",)
    assert breathing_kinds(CAPNOGRAPH, (OXIMETER, None), {}) == ("resp_rate", "etco2")
    assert breathing_kinds(None, (OXIMETER, None), {Kind.ETCO2: 1}) == ()


def test_discharge_without_an_etco2_from_a_monitor_without_co2_module():
    state = breathing_state(14, 38)
    del state.breathing["etco2"]
    assert "no current etCO2 from the capnograph" in blocking(state, 121)
    state.breathing_kinds = ("resp_rate",)  # an IntelliVue counting RR from the ECG leads only
    decision = PROTO.evaluate_discharge(state, m(121))
    assert decision.allowed, decision.blocking
