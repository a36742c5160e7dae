"""Adapters: one per stage (read inputs, call the core, write outputs, log), and the infra they share."""
