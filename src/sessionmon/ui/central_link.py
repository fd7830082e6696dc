"""The console's side of the central station: its chair link follows the open session."""

from __future__ import annotations

from typing import Any

from sessionmon.central.chair_link import ChairLink
from sessionmon.central.config import CentralConfig
from sessionmon.clock import Clock


def connect_central(controller: Any, config: CentralConfig, clock: Clock) -> ChairLink:
    """Start publishing the console's chair and keep the link on the monitored session.

    The link publishes the running session; with none (or a signed one) it says so and keeps a
    heartbeat. Alarms acknowledged at central show in the alarm bar ("seen at central by ...").
    """
    link = ChairLink(config, clock)
    link.start()
    controller.seen_at_central = link.seen_by

    def follow(_view: Any) -> None:
        runtime = controller.runtime
        wanted = runtime if runtime is not None and not runtime.locked else None
        if wanted is not link.runtime:
            if wanted is None:
                link.detach()
            else:
                link.attach(wanted)

    controller.view_changed.connect(follow)
    controller.session_changed.connect(lambda _session: follow(None))
    return link
