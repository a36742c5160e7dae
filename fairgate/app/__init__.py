"""The application: the CLI, the run service it shares with the scheduled flow, services, summaries."""
