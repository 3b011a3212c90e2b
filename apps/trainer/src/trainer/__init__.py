"""Churn model trainer: the Train, Evaluate and Register steps of the training pipeline, plus the data generator."""
