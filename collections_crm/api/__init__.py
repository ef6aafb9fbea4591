"""What every API endpoint shares: token authentication, throttles, pagination, the error
format, money and time fields, and the base view that answers in the user's language."""
