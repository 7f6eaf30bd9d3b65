"""The small error hierarchy: every user-facing failure is one of these, shown as one line."""


class CoachError(Exception):
    """A problem the person can fix; its message is one actionable line."""


class ContentError(CoachError):
    """A content file is missing, malformed or incomplete."""


class ModelError(CoachError):
    """A speech model is missing, damaged or unusable."""


class AudioFileError(CoachError):
    """A WAV file cannot be read or is in an unsupported format."""


class AudioDeviceError(CoachError):
    """An audio device is missing, ambiguous or failed."""


class ScriptError(CoachError):
    """A simulate script line cannot be parsed."""


class SpeechError(CoachError):
    """Speech synthesis is unavailable or failed."""
