"""Payment links: a hosted checkout page for an amount the debtor owes, and its confirmation."""
