"""Reading records: which clips a reading id stands for, on disk and shared by the copies.

A reading's record (``readings/ID.json`` in the audio cache) is what its
captions (``.vtt``) and its download (``.mp3``) are made from. With
``TTS_DATABASE_URL`` set it is also stored in the database (beside the
clip records, see :class:`~ttsservice.speech.clips.ClipRecords`), so a
reading made through one copy can be downloaded through any other: a copy
that has not seen the id fetches the record and keeps it in its own cache.
"""

from __future__ import annotations

import json

from ttsservice.errors import NotFound
from ttsservice.speech.speaker import Speaker

__all__ = ["load_reading_record", "reading_keys", "record_path", "share_reading_record"]


def record_path(ident: str) -> str:
    """Where reading ``ident``'s record is kept in the audio cache."""
    return f"readings/{ident}.json"


async def share_reading_record(speaker: Speaker, ident: str) -> None:
    """Hand reading ``ident``'s record, just written to the cache, to the shared records."""
    if speaker.records is None:
        return
    stored = await speaker.cache.read(record_path(ident))
    if stored is not None:  # None: the disk refused it; the copies share the clips anyway
        await speaker.records.put_reading_record(ident, stored.data.decode("utf-8"))


async def load_reading_record(speaker: Speaker, ident: str) -> bytes | None:
    """The record of reading ``ident`` from the cache, else from the shared records; or None."""
    path = record_path(ident)
    stored = await speaker.cache.read(path)
    if stored is not None:
        return stored.data
    if speaker.records is None:
        return None
    shared = await speaker.records.reading_record(ident)  # made through another copy
    if shared is None:
        return None
    data = shared.encode("utf-8")
    await speaker.cache.write(path, data)
    return data


async def reading_keys(speaker: Speaker, ident: str) -> tuple[list[str], str]:
    """Reading ``ident``'s clip keys in order and its title; :class:`NotFound` (404) if this
    copy and the shared records do not know it, or its record is damaged."""
    stored = await load_reading_record(speaker, ident)
    if stored is None:
        raise NotFound("This reading is not known here (it may have expired): create it again.")
    try:
        record = json.loads(stored)
        return [str(k) for k in record["keys"]], str(record.get("title") or "uppläsning")
    except (ValueError, KeyError, TypeError):
        raise NotFound("This reading's record is damaged: create it again.") from None
