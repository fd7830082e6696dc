"""One way to build the paho-mqtt client (2.x callback API) for a chair or for central."""

from __future__ import annotations

import logging
import ssl
import uuid

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from sessionmon.central.config import CentralConfig

log = logging.getLogger(__name__)

#: Seconds between keep-alive pings: a broker notices a silent (not closed) link in 1.5x this.
KEEPALIVE_S = 10

#: Reconnect back-off (paho doubles from the first to the second).
RECONNECT_MIN_S = 1
RECONNECT_MAX_S = 4

#: Messages paho itself may hold unsent (QoS 1 while the link is down): a bound, never a block.
MAX_QUEUED = 256


def build_client(
    config: CentralConfig,
    role: str,
    will: tuple[str, bytes] | None = None,
) -> paho.Client:
    """Return a paho client set up from ``config`` (not yet connected).

    Parameters
    ----------
    config : CentralConfig
        Broker, TLS and login.
    role : str
        ``chair-<name>`` or ``central``: the start of the client id (a random tail keeps two
        processes from throwing each other off the broker).
    will : (topic, payload), optional
        Retained QoS 1 last will (the chair's ``online`` = false).
    """
    client = paho.Client(
        callback_api_version=CallbackAPIVersion.VERSION2,
        client_id=f"sessionmon-{role}-{uuid.uuid4().hex[:8]}",
        protocol=paho.MQTTv311,
        clean_session=True,
    )
    if config.username:
        client.username_pw_set(config.username, config.password)
    if config.tls:
        context = ssl.create_default_context(cafile=config.ca_file or None)
        context.check_hostname = True
        context.verify_mode = ssl.CERT_REQUIRED
        client.tls_set_context(context)
    if will is not None:
        client.will_set(will[0], will[1], qos=1, retain=True)
    client.reconnect_delay_set(min_delay=RECONNECT_MIN_S, max_delay=RECONNECT_MAX_S)
    client.max_queued_messages_set(MAX_QUEUED)
    return client


def connect_in_background(client: paho.Client, config: CentralConfig) -> None:
    """Start paho's network thread; it connects, and reconnects, by itself (never blocks)."""
    client.connect_async(config.host, config.port, keepalive=KEEPALIVE_S)
    client.loop_start()


def reason_text(reason_code: object) -> str:
    """A readable reason from paho's reason code (or an exception)."""
    text = str(reason_code)
    return text if text and text != "Success" else "connection lost"
