"""Several chairs, one nurse: each console publishes its chair to an MQTT broker; a central
station subscribes and shows every chair.

Nothing in this package imports Qt: :mod:`~sessionmon.central.config` (the ``[central]``
settings), :mod:`~sessionmon.central.topics` and :mod:`~sessionmon.central.payloads` (the wire
format, see ``docs/central-protocol.md``), :mod:`~sessionmon.central.chair_link` (a chair's
publisher), :mod:`~sessionmon.central.state` (what central knows) and
:mod:`~sessionmon.central.station` (central's MQTT subscriber). The window is
:mod:`sessionmon.ui.central_window`.
"""
