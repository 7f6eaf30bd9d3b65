"""Stretch Coach: an offline, hands-free voice coach for back-pain stretches."""

__version__ = "0.1.0"
