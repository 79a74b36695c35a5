"""Reading a page: safe fetching and main-content extraction."""

from __future__ import annotations

from ttsservice.reading.extract import extract_reading, extract_text
from ttsservice.reading.model import Block, ExtractOptions, Reading

__all__ = ["Block", "ExtractOptions", "Reading", "extract_reading", "extract_text"]
