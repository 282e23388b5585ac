"""The session model under random use, bounded for CI (the long run: benchmarks/session_long_run.py)."""

from hypothesis import HealthCheck, settings

from session_machine import SessionMachine

TestSessionUnderRandomUse = SessionMachine.TestCase
TestSessionUnderRandomUse.settings = settings(max_examples=60, stateful_step_count=40, deadline=None,
                                              suppress_health_check=[HealthCheck.too_slow])
