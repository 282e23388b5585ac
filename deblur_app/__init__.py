__version__ = "0.1.0"

from .privacy import turn_off_telemetry as _turn_off_telemetry

_turn_off_telemetry()  # first, before anything can load OpenVINO, NNCF or Ray (see privacy.py)
