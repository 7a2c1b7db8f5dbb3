"""The channel registry: a channel declared in one place is known everywhere (issue 10).

A TikTok-like channel is registered once, in this file; the workflow accepts it, the creator's checks enforce its
limits, the renditions make its picture, the admin's warnings and the demo know it, and the publish job posts to
it (its picture fetched from the website, like Instagram's). Unregistered, it is unknown again.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from PIL import Image as PILImage

from sopkit import demo, media
from sopkit.channels import registry
from sopkit.channels.base import ChannelState, CredentialStatus, Post, Result
from sopkit.channels.spec import ChannelContext, ChannelSpec, RenditionSpec
from sopkit.config import Config
from sopkit.images import RENDITIONS, load_upload, rendition
from sopkit.publishing import build_channels, credential_warnings
from sopkit.publishing.run import run_once
from sopkit.schema import Item
from sopkit.store.sqlite import SQLiteStore
from sopkit.timeutil import AGENCY_TZ
from sopkit.workflow import ChecksFailed, Desk, InvalidInput

T0 = dt.datetime(2026, 11, 23, 8, 0, tzinfo=AGENCY_TZ)


@dataclass
class ClipChannel:
    """A short-video platform in memory that, like Instagram, downloads the picture from a public URL."""

    api_key: str
    name: str = "clips"
    received: list[Post] = field(default_factory=list)

    def find(self, post: Post) -> Result | None:
        return None

    def publish(self, post: Post) -> Result:
        self.received.append(post)
        return Result(ChannelState.PUBLISHED, url=f"https://clips.example/v/{post.key}", post_id=post.key)

    def check_credentials(self) -> CredentialStatus:
        return CredentialStatus(True, "fake")


POSTED: list[ClipChannel] = []


def _factory(ctx: ChannelContext) -> ClipChannel:
    POSTED.append(channel := ClipChannel(ctx.text("api_key")))
    return channel


#: The one place the channel is declared.
CLIPS = ChannelSpec(
    name="clips", order=45, factory=_factory, credentials=("api_key",), secrets=("api_key",),
    rendition=RenditionSpec("fill", ((1080, 1920),), 4 * 1024 * 1024, allow_png=False), caption_limit=150,
    hashtag_limit=5, public_images=True,
)


@pytest.fixture
def clips():  # noqa: ANN201
    POSTED.clear()
    with registry.registered(CLIPS) as spec:
        yield spec
    assert "clips" not in registry.names()


def jpeg(width: int = 1600, height: int = 1000) -> bytes:
    buf = io.BytesIO()
    PILImage.new("RGB", (width, height), (30, 90, 160)).save(buf, "JPEG", quality=80)
    return buf.getvalue()


def test_the_builtin_channels_are_found_in_their_order() -> None:
    assert registry.names() == ("site", "wordpress", "facebook", "instagram", "telegram", "x", "manual")
    assert [s.name for s in registry.specs() if s.automatic] == ["site", "wordpress", "facebook", "instagram",
                                                                 "telegram"]
    assert [s.name for s in registry.specs() if s.home] == ["site"]
    assert registry.get("myspace") is None and registry.rank("myspace") == len(registry.names())


def test_a_registered_channel_is_known_everywhere(clips, tmp_path: Path) -> None:  # noqa: ANN001
    assert registry.names()[3:5] == ("instagram", "clips")
    assert RENDITIONS["clips"] is CLIPS.rendition
    img = rendition(load_upload(jpeg(), "foto.jpg"), "clips")
    width, height = PILImage.open(io.BytesIO(img.data)).size
    assert abs(width / height - 1080 / 1920) < 0.01 and img.mime == "image/jpeg"  # cropped to its 9:16
    assert ("site", "clips") in demo.channel_sets()
    item = Item(id="a", channels=("clips",), status="scheduled", step=6, publish_at=T0 + dt.timedelta(hours=1))
    from sopkit.store.base import Register

    assert credential_warnings(Config(secrets={}), Register((item,)), T0, lang="en") == [
        "clips: no credentials ([clips] api_key not set): post by hand; 1 scheduled item(s) target it, the first "
        "due 23 Nov 2026 09:00 WIB: they will wait on the publisher's queue."]
    public = {"site": {"base_url": "https://dishub.kalbarprov.go.id/"}}  # clips fetches its picture from the site
    assert "clips" in build_channels(Config(secrets=public | {"clips": {"api_key": "k-123|+/="}})).channels
    assert "loopback" in build_channels(Config(secrets={"clips": {"api_key": "k"}})).unavailable["clips"]


def test_the_workflow_and_the_creators_checks_follow_the_registry(clips, desk: Desk, users) -> None:  # noqa: ANN001
    item = desk.start(users["officer"], title="Video uji KIR", summary="Ringkas", channels=("site", "clips"))
    item = desk.submit(users["officer"], item)
    item = desk.edit(users["creator"], item, body="Isi.", captions={"site": "", "clips": "x" * 151})
    with pytest.raises(ChecksFailed) as info:
        desk.submit(users["creator"], item)
    assert [f.key for f in info.value.findings] == ["check.caption_over"]
    item = desk.edit(users["creator"], item, captions={"clips": " ".join(f"#t{n}" for n in range(6))})
    with pytest.raises(ChecksFailed, match="6 tagar, batas 5"):
        desk.submit(users["creator"], item)
    item = desk.edit(users["creator"], item, captions={"clips": "Uji KIR gratis #dishub"})
    assert desk.submit(users["creator"], item).step == 3


def test_an_unregistered_channel_is_refused(desk: Desk, users) -> None:  # noqa: ANN001
    with pytest.raises(InvalidInput, match="Kanal tidak dikenal"):
        desk.start(users["officer"], title="Video", channels=("clips",))


def test_the_job_publishes_to_a_registered_channel_with_its_picture_hosted_by_the_site(
        clips, tmp_path: Path) -> None:  # noqa: ANN001
    db = tmp_path / "sop.db"
    store = SQLiteStore(db)
    store.init()
    ref = media.save(tmp_path / "media", jpeg(), "foto.jpg") | {"alt": "Petugas memeriksa bus"}
    item = Item(id="v1", title="Video uji KIR", summary="Ringkas", channels=("clips", "site"), status="scheduled",
                step=6, publish_at=T0, body="Isi.", captions={"clips": "Uji KIR #dishub"}, media=[ref],
                created_at=T0 - dt.timedelta(days=1))
    store.import_rows([item.to_row() | {"rev": "1"}], [])
    config = Config(store=f"sqlite:///{db}", media=tmp_path / "media",
                    secrets={"site": {"root": str(tmp_path / "site"), "base_url": "https://dishub.kalbarprov.go.id/"},
                             "clips": {"api_key": "k-123|+/="}, "publish": {"lock": str(tmp_path / "publish.lock")}})
    lines: list[str] = []
    assert run_once(config, say=lines.append, now=lambda: T0 + dt.timedelta(minutes=1)) == 0, lines
    [channel] = POSTED
    [post] = channel.received
    assert post.caption == "Uji KIR #dishub" and post.link == "https://dishub.kalbarprov.go.id/berita/sop-v1/"
    [image] = post.images
    width, height = PILImage.open(io.BytesIO(image.data)).size
    assert abs(width / height - 1080 / 1920) < 0.01 and image.alt == "Petugas memeriksa bus"
    assert image.public_url and image.public_url.startswith("https://dishub.kalbarprov.go.id/berita/sop-v1/")
    assert (tmp_path / "site" / "berita" / "sop-v1" / image.public_url.rsplit("/", 1)[1]).is_file()
    done = store.get_item("v1")
    assert done.status == "published" and done.channel_results["clips"]["url"] == "https://clips.example/v/sop-v1"
    assert not any("k-123" in line for line in lines)


def test_reading_the_registry_stays_light() -> None:
    """Every page reads the registry (menus, renditions); a channel module importing pandas (through
    ``sopkit.timeutil``) once added ~85 MiB to each rendition's peak memory."""
    import subprocess
    import sys

    probe = "import sys; import sopkit.channels.registry as r; r.specs(); print('pandas' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False"
