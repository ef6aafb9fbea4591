"""The debtor's self-service pages and payment links."""
