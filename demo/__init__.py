"""Demo logins, portfolios and their collection history, for trying the product (seed_demo)."""
