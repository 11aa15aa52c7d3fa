"""The `azr` subcommands that belong to the evaluation harness (registered in pyproject.toml's `azr.commands`)."""
