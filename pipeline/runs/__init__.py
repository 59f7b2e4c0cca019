"""Drivers: the cron run, re-extraction, offline extraction and batch jobs, each composing the stages."""
