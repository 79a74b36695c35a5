"""ttsservice: read-aloud and page feedback for Swedish public portals."""

__version__ = "0.1.0"
