"""Utilities shared by every envoxy subsystem: config, logs, JSON, dates, singletons."""
