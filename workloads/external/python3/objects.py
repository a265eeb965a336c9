"""mallocbench external workload: Python objects of mixed sizes built, resized, serialised, dropped.

Usage: python3 objects.py ROUNDS. Each round builds a table of 4000 small records (dicts,
strings of 1-200 characters, lists), serialises it to JSON and parses it back, grows and trims
a byte buffer in 3000 steps, and sorts the parsed table; the last 4 rounds' sorted heads stay
alive. Deterministic: a fixed linear congruential generator (not random, whose sequence may
change between Python versions); the checksum is a CRC of the JSON text and the buffers.
"""

import json
import sys
import zlib

if len(sys.argv) != 2 or not sys.argv[1].isdigit() or int(sys.argv[1]) < 1:
    sys.stderr.write("usage: python3 objects.py ROUNDS (a positive integer)\n")
    sys.exit(2)
rounds = int(sys.argv[1])
state = 12345


def rnd(n: int) -> int:
    global state
    state = (state * 1103515245 + 12345) & 0x7FFFFFFF
    return (state >> 8) % n


keep = []
ops = 0
crc = 0
for r in range(rounds):
    table: dict[str, list[dict[str, object]]] = {}
    for i in range(4000):
        key = "k%d-%d" % (r, rnd(100000))
        record = {"id": i, "name": "x" * (rnd(200) + 1), "tags": [rnd(50) for _ in range(rnd(20))]}
        table.setdefault(key, []).append(record)
        ops += 1
    text = json.dumps(table, sort_keys=True)
    back = json.loads(text)
    crc = zlib.crc32(text.encode(), crc)
    ops += len(back)
    buf = bytearray()
    for i in range(3000):
        buf += b"y" * (rnd(300) + 1)
        if rnd(4) == 0:
            del buf[: rnd(len(buf) // 2 + 1)]
        ops += 1
    crc = zlib.crc32(bytes(buf), crc)
    rows = sorted(back.items(), key=lambda kv: (len(kv[1]), kv[0]))
    ops += len(rows)
    keep.append(rows[:200])
    if len(keep) > 4:
        keep.pop(0)
print("ops=%d" % ops)
print("checksum=%08x" % crc)
