"""Loopback fakes of the services the connectors talk to."""
