"""Bias mitigation, fitted on training or validation rows only: the methods, their group thresholds, and the
choice among the candidates they give."""
