"""Stretch Coach: an offline, hands-free voice coach for back-pain stretches."""

__version__ = "0.1.0"

APP_NAME = "stretch-coach"
"""The command's name, and the name of the folders it keeps its data and config in."""
