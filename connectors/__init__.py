"""One package per source, each turning an account into batches of normalized records.

connectors/registry.py lists them; source.py says what each declares; base.py, errors.py and
cursor.py are the contract every connector keeps; common/ holds what several sources share.
"""
