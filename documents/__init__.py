"""Letters and agreements in writing: the convenio, the statement of account, the paid-in-full and settlement letters, rendered as PDF and kept with their SHA-256."""
