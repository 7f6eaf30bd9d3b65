"""Sound in and out: the microphone, the speaker, the echo canceller, the front-end and the endpointer."""
