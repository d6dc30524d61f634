"""The `keepwarm` command line (DESIGN.md's table): the top floor, above flows/, ingest/,
delivery/ and deployments/. One module per command group; cli.main wires them."""
