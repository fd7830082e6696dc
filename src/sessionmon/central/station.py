"""Central's MQTT side: subscribes to every chair, feeds :class:`CentralState`, sends ``seen``."""

from __future__ import annotations

import logging

from sessionmon.central.config import CentralConfig
from sessionmon.central.mqtt import build_client, connect_in_background, reason_text
from sessionmon.central.payloads import encode
from sessionmon.central.state import CentralState
from sessionmon.central.topics import chair_subscription, seen_topic

log = logging.getLogger(__name__)


class CentralStation:
    """Connects central to the broker (paho's network thread) and keeps ``state`` current.

    Parameters
    ----------
    config : CentralConfig
        Broker, login and clinic (``chairs``, ``offline_after_s``, ``user``).
    state : CentralState
        Fed from paho's thread.
    """

    def __init__(self, config: CentralConfig, state: CentralState) -> None:
        self.config = config
        self.state = state
        self._client = build_client(config, "central")
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._stopping = False

    def start(self) -> None:
        """Connect in the background (returns at once; reconnects by itself)."""
        connect_in_background(self._client, self.config)

    def stop(self) -> None:
        """Disconnect and stop paho's thread."""
        self._stopping = True
        self._client.disconnect()
        self._client.loop_stop()

    def acknowledge(self, chair: str | None = None) -> int:
        """Acknowledge at central (silences central only) and tell the chairs; returns how many."""
        seen = self.state.acknowledge(chair, self.config.user)
        for name, payload in seen:
            self._client.publish(seen_topic(self.config.clinic, name), encode(payload), qos=1)
        return sum(len(p.alarm_ids) for _, p in seen)

    def _on_connect(self, client, _userdata, _flags, reason_code, _properties) -> None:
        if reason_code.is_failure:
            self.state.set_broker(False, f"refused: {reason_code}")
            log.warning("broker %s refused central: %s", self.config.url, reason_code)
            return
        client.subscribe(chair_subscription(self.config.clinic), qos=1)
        self.state.set_broker(True, "")
        log.info("central connected to %s", self.config.url)

    def _on_disconnect(self, _client, _userdata, _flags, reason_code, _properties) -> None:
        self.state.set_broker(False, reason_text(reason_code))
        if self._stopping:
            return
        log.warning("central lost %s: %s", self.config.url, reason_text(reason_code))

    def _on_message(self, _client, _userdata, message) -> None:
        self.state.receive(message.topic, message.payload, retained=bool(message.retain))
