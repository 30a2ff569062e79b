"""paho-mqtt client for edge/test/clients/third-party.test.ts: one QoS 1 reading on a
persistent session (client id = user). It connects through the test's proxy, which swallows
the first PUBACK and cuts the connection; paho reconnects and sends the PUBLISH again (DUP).
Prints one JSON line: whether the publish completed and how many connections it took."""
import json
import sys
import time

import paho.mqtt.client as mqtt

host, port, user, password, topic, payload = sys.argv[1:7]
state = {"connects": 0, "published": False}


def on_connect(client, userdata, flags, rc):
    if rc == 0:
        state["connects"] += 1


def on_publish(client, userdata, mid):
    state["published"] = True


client = mqtt.Client(client_id=user, clean_session=False, protocol=mqtt.MQTTv311)
client.username_pw_set(user, password)
client.on_connect = on_connect
client.on_publish = on_publish
client.reconnect_delay_set(min_delay=1, max_delay=1)
client.connect(host, int(port), keepalive=30)
client.loop_start()
deadline = time.monotonic() + 20
while state["connects"] == 0 and time.monotonic() < deadline:
    time.sleep(0.02)
client.publish(topic, payload, qos=1)
while not state["published"] and time.monotonic() < deadline:
    time.sleep(0.05)
client.disconnect()
client.loop_stop()
print(json.dumps(state))
