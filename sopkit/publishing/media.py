"""The pictures of an item as one channel wants them: the job's picture source, from the media folder.

Media references (``Item.media``) are the dicts ``sopkit.media.save`` returns (``path`` relative to the media
folder, ``name``, ``kind``, ``alt``, ``use``...). Every ``kind: image`` whose ``use`` is not false is rendered per
channel with ``sopkit.images.rendition``; an optional ``channels: [...]`` limits one picture to some channels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from ..channels.base import Image
from ..i18n import t
from ..images import ImageRejected, load_upload, rendition
from ..media import MediaRejected, read
from ..schema import Item


class MediaError(ValueError):
    """A media reference the job cannot use; the message names the reference."""


def renditions(item: Item, channel: str, folder: Path) -> tuple[Image, ...]:
    """The item's pictures as ``channel`` wants them; MediaError (naming the file) when one cannot be made.

    Each keeps the upload's name as ``source``, so a body's ``![alt](name.jpg)`` can point at the channel's copy.
    """
    out = []
    for ref in item.media:
        if str(ref.get("kind", "image")) != "image" or ref.get("use", True) is False:
            continue
        targets = ref.get("channels")
        if isinstance(targets, list) and channel not in targets:
            continue
        label = str(ref.get("name") or ref.get("path") or ref)
        try:
            if not str(ref.get("path", "") or "").strip():
                raise MediaError(t("media.no_path", name=label))
            name = str(ref.get("name") or Path(str(ref["path"])).name)
            upload = load_upload(read(folder, ref), name)
            out.append(replace(rendition(upload, channel, alt=str(ref.get("alt", "") or "")), source=name))
        except FileNotFoundError:
            raise MediaError(t("media.missing", name=label, folder=str(folder))) from None
        except (MediaRejected, ImageRejected, OSError) as e:
            raise MediaError(t("media.unusable", name=label, detail=str(e))) from None
    return tuple(out)


class MediaFolder:
    """The job's picture source over one media folder (``job.Renditions``)."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)

    def __call__(self, item: Item, channel: str) -> tuple[Image, ...]:
        return renditions(item, channel, self.folder)
