"""wirestream: news-wire text in, a clean, deduplicated, enriched Kafka stream out."""

__version__ = "0.1.0"
