"""Intigriti External Company API: client, authentication and models."""
