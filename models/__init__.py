"""The unified last-contact model: records, store, identity resolution and staleness."""
