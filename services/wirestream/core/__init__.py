"""Shared core: records, stage contract, configuration, runtime, metrics, logging."""
