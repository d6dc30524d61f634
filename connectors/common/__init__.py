"""Rules and helpers more than one source shares: mail and meeting rules, export files."""
