"""Rules and helpers more than one source shares: mail and meeting rules, export files, and the
Google grant, client and retry table (google_account: light settings; google: the client;
google_login: `keepwarm auth google`)."""
