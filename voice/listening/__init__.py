"""Hearing commands: the listener, the recogniser contract and worker, grammars, engines, intents."""
