"""Command implementations the CLI calls, one module per command group."""
