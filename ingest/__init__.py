"""Ingestion: read → clean → metadata → chunk → write (embedded into the Qdrant store).

    >>> from ingest.pipeline import Ingestor          # the whole pipeline, with progress
    >>> from ingest.readers import iter_items         # step 1: files and folders, one reader per format
    >>> from ingest.clean import clean_item           # step 2: page furniture removed
    >>> from ingest.metadata import build_article     # step 3: title, date, byline, provinces
    >>> from ingest.chunk import chunk_article        # step 4: sentence-aware chunks
"""
