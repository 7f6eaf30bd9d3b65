"""The coach's data: exercises, command phrases and its own lines (installed as ``voice.data``)."""
