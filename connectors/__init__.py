"""One module per source; each turns an account into batches of normalized records."""
