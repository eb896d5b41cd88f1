"""Pure translation of a Submission into a Jira issue draft (no I/O)."""
