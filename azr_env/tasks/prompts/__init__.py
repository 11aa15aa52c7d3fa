"""Packaged prompt templates (`*.txt`); see `azr_env.tasks.templates`."""
