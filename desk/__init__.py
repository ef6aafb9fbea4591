"""The collector's desk: the queue, the debtor page and its timeline, logging a call."""
