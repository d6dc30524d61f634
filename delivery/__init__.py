"""What leaves keepwarm: the report rendered in each format (render/) and sent by email or
Slack exactly once per day and recipient (send/)."""
