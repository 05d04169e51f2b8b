"""The fleet's clients, run inside the client namespace: a QoS 1 publisher
(paho, MQTT 5) and concurrent zmqc callers through the Zapata proxy. Writes
its progress (messages published so far) and, at the end, a JSON summary."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as paho
from paho.mqtt.enums import CallbackAPIVersion

from envoxy import zmqc
from envoxy.utils.config import Config

CALLERS = 4


def main() -> None:
    conf, progress, summary, broker, messages, requests = sys.argv[1:7]
    total, calls = int(messages), int(requests)
    Config.configure(Path(conf), environ={})
    publisher = paho.Client(
        CallbackAPIVersion.VERSION2, client_id="fleet-publisher", protocol=paho.MQTTv5
    )
    publisher.max_inflight_messages_set(100)
    publisher.connect(broker, 1883)
    publisher.loop_start()
    result: dict[str, Any] = {"answered": 0, "failed": [], "by_host": {}}
    lock = threading.Lock()

    def call(start: int) -> None:
        for k in range(start, calls, CALLERS):
            try:
                reply = zmqc.get("fleet", f"/v1/fleet/echo/{k}")
                ok = reply["status"] == 200 and reply["payload"]["n"] == k
                with lock:
                    if ok:
                        result["answered"] += 1
                        host = reply["payload"]["host"]
                        result["by_host"][host] = result["by_host"].get(host, 0) + 1
                    else:
                        result["failed"].append(repr(reply)[:200])
            except Exception as exc:  # counted: the test fails on any
                with lock:
                    result["failed"].append(f"{type(exc).__name__}: {exc}"[:200])
            time.sleep(0.02)

    callers = [threading.Thread(target=call, args=(i,)) for i in range(CALLERS)]
    for caller in callers:
        caller.start()
    infos = []
    for n in range(total):
        infos.append(
            publisher.publish(f"fleet/readings/{n}", json.dumps({"n": n}), qos=1)
        )
        if n % 20 == 0:
            Path(progress).write_text(str(n))
        time.sleep(0.004)
    Path(progress).write_text(str(total))
    for info in infos:
        info.wait_for_publish(60)
    result["published"] = total
    result["acknowledged_by_broker"] = sum(info.is_published() for info in infos)
    for caller in callers:
        caller.join(120)
    result["requests"] = calls
    publisher.loop_stop()
    publisher.disconnect()
    Path(summary).write_text(json.dumps(result))


if __name__ == "__main__":
    main()
