"""The MDC codes the FHIR and HL7 exports use agree with the IntelliVue nomenclature.

The IntelliVue's NOM_ codes are IEEE 11073-10101 term codes (partition 2, SCADA, for the vital
signs): where the monitor and the export name the same term (NOM_X and MDC_X), the export's
32-bit code must be 2 x 65536 + the monitor's code. This pins etCO2 (MDC_AWAY_CO2_ET 151728,
NOM_AWAY_CO2_ET 0x50B0), as it does the long-known SpO2 150456, NBP 150021-150023 and RR 151562.
"""

from __future__ import annotations

from sessionmon.devices.protocols import intellivue_nom as nom
from sessionmon.export.codes import METRICS
from sessionmon.model import Kind

SCADA = 2


def test_every_export_code_the_monitor_also_names_is_its_term_code_in_partition_2():
    checked = {}
    for kind, metric in METRICS.items():
        term = getattr(nom, "NOM_" + metric.mdc_name.removeprefix("MDC_"), None)
        if term is None:
            continue
        assert metric.mdc_code == (SCADA << 16) + term, metric.mdc_name
        checked[kind] = metric.mdc_code
    assert checked[Kind.ETCO2] == 151728
    assert {Kind.SPO2, Kind.NIBP_SYS, Kind.NIBP_DIA, Kind.NIBP_MAP, Kind.RESP_RATE} <= set(checked)
