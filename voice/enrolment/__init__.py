"""Personal voice enrolment: sentences read aloud become a PocketSphinx profile of this voice."""
