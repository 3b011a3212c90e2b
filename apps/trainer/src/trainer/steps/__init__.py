"""The container entrypoints: train, evaluate, register, generate-data."""
