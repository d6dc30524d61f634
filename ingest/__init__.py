"""Reading accounts into the store, free of Prefect: the sync loop of one account, the
provider-quota slots it holds, and which failures are worth retrying. flows/ wraps these in
Prefect tasks; the CLI and tests call them directly."""
