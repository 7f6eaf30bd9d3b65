"""Front ends: the command line, live and text sessions, simulate, recognize, doctor, service and config."""
