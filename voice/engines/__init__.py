"""Speech recognition engines behind the Recognizer interface of voice.asr (loaded only when chosen)."""
