"""vidrec: a conversational recommender that watches product videos."""

__version__ = "0.1.0"
