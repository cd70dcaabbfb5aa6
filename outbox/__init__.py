"""Outgoing e-mail through the PostgreSQL job queue (procrastinate): off the request path."""
