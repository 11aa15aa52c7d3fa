"""The `azr` subcommands that belong to the agents and trainers (registered in pyproject.toml's `azr.commands`)."""
