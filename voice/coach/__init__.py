"""The coach itself: dialogue, plan, session, runtime, settings, messages and actions; no devices."""
