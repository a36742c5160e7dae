"""fairgate: a pipeline that promotes a model only when it passes fairness and accuracy checks."""

__version__ = "0.1.0"
