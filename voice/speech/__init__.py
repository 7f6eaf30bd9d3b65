"""The coach's voice: synthesis, speech out in order, and silent speech with estimated timing."""
