"""Conversations: what debtors write back (SMS, WhatsApp), delivery receipts, consent keywords,
the unmatched inbox, message templates and the collector's replies."""
