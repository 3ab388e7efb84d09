"""Out-of-sample predicted probabilities from features (cross-validation) or ONNX models."""
