"""Command-line subcommands, one module per area so each area owns its own commands.

Modules here import heavy libraries (models, Valhalla, paho) inside the command functions,
so `copilot --help` and the fast paths start quickly.
"""
