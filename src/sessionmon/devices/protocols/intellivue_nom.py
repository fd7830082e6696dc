"""Philips IntelliVue Data Export: nomenclature codes, measurement states and the FLOAT-Type.

Numbers from the "Data Export Interface Programming Guide" (IntelliVue X2, MP and MX series,
4535 642 59271); where the guide's own tables were not retrievable they were checked against the
constants of two independent open-source clients (VSCaptureMP, MD PnP); see
``docs/decisions/intellivue.md``.

Every value on the wire is big endian. A FLOAT-Type is 32 bits: an 8-bit signed exponent
(base 10) followed by a 24-bit signed mantissa; five mantissas are reserved special values.
"""

from __future__ import annotations

import functools
import math

from sessionmon.model import Kind

# ---------------------------------------------------------------------- partitions, classes

NOM_PART_OBJ = 1  # object classes
NOM_PART_SCADA = 2  # measurements (physio ids)
NOM_PART_EVT = 3
NOM_PART_DIM = 4  # units
NOM_PART_INFRASTRUCT = 8

NOM_MOC_VMO_METRIC_NU = 6  # numerics
NOM_MOC_VMO_METRIC_SA_RT = 9  # real-time sample arrays (waves)
NOM_MOC_VMS_MDS = 33
NOM_MOC_MDS_COMPOS_SINGLE_BED = 35
NOM_MOC_VMO_AL_MON = 54  # alert monitor

# ---------------------------------------------------------------------- actions, events

NOM_ACT_POLL_MDIB_DATA = 0x0C16  # 3094
NOM_ACT_POLL_MDIB_DATA_EXT = 0xF13B  # 61755
NOM_NOTI_MDS_CREAT = 0x0D06  # 3334
NOM_NOTI_CONN_INDIC = 0x0D17  # 3351

# ---------------------------------------------------------------------- attributes

NOM_ATTR_GRP_AL_MON = 0x0801
NOM_ATTR_GRP_METRIC_VAL_OBS = 0x0803
NOM_ATTR_GRP_SYS_PROD = 0x080C
NOM_ATTR_AL_MON_P_AL_LIST = 0x0902  # physiological alarms
NOM_ATTR_AL_MON_T_AL_LIST = 0x0904  # technical alarms
NOM_ATTR_ID_HANDLE = 0x0921
NOM_ATTR_ID_LABEL = 0x0924
NOM_ATTR_NU_CMPD_VAL_OBS = 0x094B
NOM_ATTR_NU_VAL_OBS = 0x0950
NOM_ATTR_SA_VAL_OBS = 0x096E
NOM_ATTR_SA_SPECN = 0x096D
NOM_ATTR_SCALE_SPECN_I16 = 0x096F
NOM_ATTR_TIME_ABS = 0x0987
NOM_ATTR_TIME_PD_SAMP = 0x098D
NOM_ATTR_TIME_REL = 0x098F
NOM_ATTR_TIME_STAMP_ABS = 0x0990
NOM_ATTR_TIME_STAMP_REL = 0x0991
NOM_ATTR_UNIT_CODE = 0x0996
NOM_ATTR_TIME_PD_POLL = 0xF13E
NOM_ATTR_POLL_PROFILE_EXT = 0xF001
NOM_POLL_PROFILE_SUPPORT = 0x0001

# ---------------------------------------------------------------------- physio ids (SCADA)

NOM_ECG_CARD_BEAT_RATE = 0x4182  # HR from the ECG
NOM_PULS_RATE = 0x480A
NOM_PLETH_PULS_RATE = 0x4822  # pulse rate from the pleth (SpO2)
NOM_PRESS_BLD_NONINV = 0x4A04  # NBP (compound)
NOM_PRESS_BLD_NONINV_SYS = 0x4A05
NOM_PRESS_BLD_NONINV_DIA = 0x4A06
NOM_PRESS_BLD_NONINV_MEAN = 0x4A07
NOM_PLETH = 0x4BB4  # pleth wave
NOM_PULS_OXIM_SAT_O2 = 0x4BB8
NOM_RESP_RATE = 0x500A
NOM_AWAY_RESP_RATE = 0x5012
NOM_AWAY_CO2 = 0x50AC  # CO2 wave
NOM_AWAY_CO2_ET = 0x50B0
NOM_AWAY_CO2_INSP_MIN = 0x50BA

# ---------------------------------------------------------------------- units (DIM)

NOM_DIM_DIMLESS = 0x0200
NOM_DIM_PERCENT = 0x0220
NOM_DIM_BEAT_PER_MIN = 0x0AA0
NOM_DIM_RESP_PER_MIN = 0x0AE0
NOM_DIM_KILO_PASCAL = 0x0F03
NOM_DIM_MMHG = 0x0F20

#: mmHg per kPa.
MMHG_PER_KPA = 7.500617

#: mmHg per volume-% of CO2 at standard ambient pressure (760 mmHg); the monitor shows % only
#: when configured so; decisions file.
MMHG_PER_CO2_PERCENT = 7.6

# ---------------------------------------------------------------------- measurement state

MS_INVALID = 0x8000
MS_QUESTIONABLE = 0x4000
MS_UNAVAILABLE = 0x2000
MS_CALIBRATION_ONGOING = 0x1000
MS_TEST_DATA = 0x0800
MS_DEMO_DATA = 0x0400
MS_VALIDATED_DATA = 0x0080
MS_EARLY_INDICATION = 0x0040
MS_MSMT_ONGOING = 0x0020
MS_IN_ALARM = 0x0002
MS_AL_INHIBITED = 0x0001

#: States under which a value is not a reading (shown as a technical condition instead).
MS_NO_VALUE = MS_INVALID | MS_UNAVAILABLE | MS_CALIBRATION_ONGOING | MS_TEST_DATA

# ---------------------------------------------------------------------- alert types

ALERT_TYPES: dict[int, tuple[str, str]] = {
    1: ("technical", "low"),
    2: ("technical", "medium"),
    4: ("technical", "high"),
    256: ("physiological", "low"),
    512: ("physiological", "medium"),
    1024: ("physiological", "high"),
}

# ---------------------------------------------------------------------- physio id -> Kind

#: Numerics sessionmon records, by physio id. ECG HR and pleth pulse both give ``hr``; the
#: flag says which (``"ecg"`` or ``"pleth"``), so the record keeps where a value came from.
NUMERIC_KINDS: dict[int, tuple[Kind, str]] = {
    NOM_ECG_CARD_BEAT_RATE: (Kind.HR, "ecg"),
    NOM_PLETH_PULS_RATE: (Kind.HR, "pleth"),
    NOM_PULS_RATE: (Kind.HR, "pulse"),
    NOM_PULS_OXIM_SAT_O2: (Kind.SPO2, ""),
    NOM_PRESS_BLD_NONINV_SYS: (Kind.NIBP_SYS, ""),
    NOM_PRESS_BLD_NONINV_DIA: (Kind.NIBP_DIA, ""),
    NOM_PRESS_BLD_NONINV_MEAN: (Kind.NIBP_MAP, ""),
    NOM_RESP_RATE: (Kind.RESP_RATE, "impedance"),
    NOM_AWAY_RESP_RATE: (Kind.RESP_RATE, "airway"),
    NOM_AWAY_CO2_ET: (Kind.ETCO2, ""),
    NOM_AWAY_CO2_INSP_MIN: (Kind.FICO2, ""),
}

#: Waves sessionmon records, by physio id.
WAVE_KINDS: dict[int, Kind] = {NOM_PLETH: Kind.PLETH, NOM_AWAY_CO2: Kind.CO2}

#: Physio ids whose value is a CO2 partial pressure (unit conversion to mmHg).
CO2_IDS = frozenset({NOM_AWAY_CO2_ET, NOM_AWAY_CO2_INSP_MIN, NOM_AWAY_CO2})

# ---------------------------------------------------------------------- FLOAT-Type

FLOAT_NAN = 0x007FFFFF
FLOAT_NRES = 0x00800000
FLOAT_POS_INF = 0x007FFFFE
FLOAT_NEG_INF = 0x00800002
FLOAT_RESERVED = 0x00800001
_SPECIAL_MANTISSAS = frozenset(
    {FLOAT_NAN, FLOAT_NRES, FLOAT_POS_INF, FLOAT_NEG_INF, FLOAT_RESERVED}
)


@functools.lru_cache(maxsize=4096)  # pure; a monitor repeats its values poll after poll
def decode_float(raw: int) -> float | None:
    """Return the value of a 32-bit FLOAT-Type, or ``None`` for NaN / NRes / +-INF / reserved.

    Examples
    --------
    >>> decode_float(0xFF00002D)  # 45 x 10^-1
    4.5
    """
    mantissa = raw & 0x00FFFFFF
    if mantissa in _SPECIAL_MANTISSAS:
        return None
    exponent = (raw >> 24) & 0xFF
    if exponent >= 0x80:
        exponent -= 0x100
    if mantissa >= 0x800000:
        mantissa -= 0x1000000
    return round(mantissa * 10.0**exponent, max(0, -exponent))


def encode_float(value: float | None, decimals: int = 1) -> int:
    """Return the FLOAT-Type of ``value`` with ``decimals`` digits (``None``: NaN).

    The mantissa is shrunk (fewer decimals) until it fits in 24 signed bits.
    """
    if value is None or math.isnan(value):
        return FLOAT_NAN
    exponent = -max(0, decimals)
    mantissa = round(value * 10**-exponent)
    while not -0x7FFFFD <= mantissa <= 0x7FFFFD:
        exponent += 1
        mantissa = round(value / 10.0**exponent)
    return ((exponent & 0xFF) << 24) | (mantissa & 0xFFFFFF)
