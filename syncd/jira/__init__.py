"""Jira Cloud and Data Center: client and models."""
