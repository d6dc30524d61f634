"""Sample data for `keepwarm demo`: generated on demand, never committed (see generate.py)."""
