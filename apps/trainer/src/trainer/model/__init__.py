"""The scikit-learn pipeline, its metrics, and its ONNX export."""
