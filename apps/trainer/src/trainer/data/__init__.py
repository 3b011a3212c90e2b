"""Reading, validating and generating the churn table."""
