"""lm-eval task YAMLs (AMC23, OlympiadBench, OCW Minerva) and their `utils` (loaded by lm-eval by file path)."""
