"""Scheduled work; each job is a plain run(runtime, now) function."""
