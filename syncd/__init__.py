"""syncd keeps Intigriti submissions and Jira issues in step, both ways."""

__version__ = "0.1.0"
