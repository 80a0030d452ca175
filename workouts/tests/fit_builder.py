"""A minimal FIT activity writer for tests: fitdecode only reads, and no maintained FIT *writer* is pinned.

Builds the binary by the FIT protocol (header, definition and data messages, CRC-16 of the FIT SDK computed by
fitdecode's own `compute_crc`): a `file_id` (type activity), one `record` per fix (timestamp, position in
semicircles, altitude with the profile's scale 5 / offset 500, heart rate, speed with scale 1000) and a
`session` (sport, total calories).
"""

import struct
from datetime import datetime

from fitdecode.utils import compute_crc

FIT_EPOCH_S = 631065600  # 1989-12-31T00:00:00Z, the FIT time origin
SEMICIRCLES_PER_DEGREE = 2**31 / 180.0
# FIT base types: enum, uint8, uint16, sint32, uint32
ENUM, UINT8, UINT16, SINT32, UINT32 = 0x00, 0x02, 0x84, 0x85, 0x86
_FORMATS = {ENUM: "B", UINT8: "B", UINT16: "H", SINT32: "i", UINT32: "I"}
_SIZES = {ENUM: 1, UINT8: 1, UINT16: 2, SINT32: 4, UINT32: 4}


def _definition(local: int, global_number: int, fields: list[tuple[int, int]]) -> bytes:
    body = struct.pack("<BBBHB", 0x40 | local, 0, 0, global_number, len(fields))
    return body + b"".join(struct.pack("<BBB", number, _SIZES[base], base) for number, base in fields)


def _data(local: int, fields: list[tuple[int, int]], values: list[int]) -> bytes:
    fmt = "<B" + "".join(_FORMATS[base] for _, base in fields)
    return struct.pack(fmt, local, *values)


def fit_time(value: datetime) -> int:
    return int(value.timestamp()) - FIT_EPOCH_S


def build_fit_activity(points: list[dict], *, sport: int = 1, total_calories: int | None = None) -> bytes:
    """points: dicts with `time` (aware datetime), `lat`, `lon`, `alt` (m), `hr` (bpm), `speed` (m/s).
    sport: FIT sport enum (1 running, 11 walking)."""
    file_id = [(0, ENUM), (1, UINT16), (4, UINT32)]
    record = [(253, UINT32), (0, SINT32), (1, SINT32), (2, UINT16), (3, UINT8), (6, UINT16)]
    session = [(253, UINT32), (5, ENUM), (11, UINT16)]
    data = _definition(0, 0, file_id) + _data(0, file_id, [4, 255, fit_time(points[0]["time"])])
    data += _definition(1, 20, record)
    for point in points:
        data += _data(1, record, [
            fit_time(point["time"]),
            round(point["lat"] * SEMICIRCLES_PER_DEGREE),
            round(point["lon"] * SEMICIRCLES_PER_DEGREE),
            round((point["alt"] + 500) * 5),
            point["hr"],
            round(point["speed"] * 1000),
        ])
    data += _definition(2, 18, session)
    data += _data(2, session, [fit_time(points[-1]["time"]), sport,
                               0xFFFF if total_calories is None else total_calories])
    header = struct.pack("<BBHI4s", 14, 0x20, 2132, len(data), b".FIT")
    header += struct.pack("<H", compute_crc(header))
    body = header + data
    return body + struct.pack("<H", compute_crc(body))
