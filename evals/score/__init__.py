"""Score stage: turn samples (JSONL from the generate stage) into verdicts, one scorer per benchmark family."""
