"""Session history on the device: the store, the recorder, reports and the history command."""
