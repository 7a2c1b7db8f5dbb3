"""Peak memory of making every channel's rendition of one big picture, against a naive full decode in the same run.

Each measurement runs in a fresh process: it reads the file, then resets the kernel's high-water mark
(``/proc/self/clear_refs``) and reports the peak resident memory above what it held before (``VmHWM - VmRSS``).
The desk's path is what a page does per picture: ``images.load_upload`` (the content check), then for each
channel ``load_upload`` + ``images.rendition``. The naive path decodes the picture whole once and makes the same
renditions from it. Pictures: a 49-megapixel photo (JPEG, decoded at a reduced scale) and a 16-megapixel
transparent PNG (the most a PNG may have: PNG cannot be decoded at a reduced scale).

    .venv/bin/python tests/benchmarks/bench_image_memory.py [--photo-mp 49] [--png-mp 16]
    .venv/bin/python tests/benchmarks/bench_image_memory.py --only desk --max-mb 150   # exit 1 when over
"""

from __future__ import annotations

import argparse
import io
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))


def photo(megapixels: float) -> bytes:
    """A square photo-like JPEG (gradients and grain: compresses like a camera picture, ~14 MB at 49 MP)."""
    from PIL import Image, ImageChops

    side = int((megapixels * 1_000_000) ** 0.5)
    grad = Image.linear_gradient("L").resize((side, side))
    grain = Image.effect_noise((side, side), 24)
    bands = (ImageChops.blend(grad, grain, 0.3),
             ImageChops.blend(grad.transpose(Image.Transpose.FLIP_LEFT_RIGHT), grain, 0.3),
             grad.transpose(Image.Transpose.ROTATE_90))
    buf = io.BytesIO()
    Image.merge("RGB", bands).save(buf, "JPEG", quality=90)
    return buf.getvalue()


def poster(megapixels: float) -> bytes:
    """A transparent flat graphic as PNG (a few hundred KB, but every pixel is decoded)."""
    from PIL import Image, ImageDraw

    side = int((megapixels * 1_000_000) ** 0.5)
    img = Image.new("RGBA", (side, side), (255, 255, 255, 0))
    draw = ImageDraw.Draw(img)
    for x in range(0, side, side // 20):
        draw.rectangle((x, x, x + side // 30, x + side // 30), fill=(x % 255, 80, 160, 255))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _status(field: str) -> int:
    text = Path("/proc/self/status").read_text()
    return int(text.split(f"{field}:")[1].split()[0]) // 1024  # MiB


def child(pipeline: str, path: str) -> None:
    from PIL import Image, ImageOps

    from sopkit import images

    data = Path(path).read_bytes()
    before = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    t0 = time.perf_counter()
    if pipeline == "desk":
        images.load_upload(data, "foto.jpg")
        for channel in images.RENDITIONS:
            images.rendition(images.load_upload(data, "foto.jpg"), channel)
    else:
        img = Image.open(io.BytesIO(data))
        img.load()
        for spec in images.RENDITIONS.values():
            rgb = ImageOps.exif_transpose(img).convert("RGB")
            aspect, size = images._target_size(spec, rgb.size)
            box = images._crop_box(rgb.size, aspect)
            out = io.BytesIO()
            rgb.crop(box).resize(size, Image.Resampling.LANCZOS).save(out, "JPEG", quality=88)
    print(_status("VmHWM") - before, f"{time.perf_counter() - t0:.2f}")


def measure(pipeline: str, path: Path) -> tuple[int, float]:
    out = subprocess.run([sys.executable, __file__, "--child", pipeline, str(path)], cwd=ROOT, check=True,
                         capture_output=True, text=True, timeout=600).stdout.split()
    return int(out[0]), float(out[1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--photo-mp", type=float, default=49)
    ap.add_argument("--png-mp", type=float, default=16)
    ap.add_argument("--only", choices=("desk", "naive"))
    ap.add_argument("--max-mb", type=int, help="exit 1 when the desk's path needs more than this")
    ap.add_argument("--child", nargs=2, metavar=("PIPELINE", "FILE"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return 0
    from sopkit.images import RENDITIONS

    worst = 0
    with tempfile.TemporaryDirectory() as tmp:
        pictures = {f"{args.photo_mp:g} MP photo (JPEG)": photo(args.photo_mp),
                    f"{args.png_mp:g} MP transparent poster (PNG)": poster(args.png_mp)}
        for name, data in pictures.items():
            path = Path(tmp) / "picture"
            path.write_bytes(data)
            got = {p: measure(p, path) for p in ("desk", "naive") if args.only in (None, p)}
            line = [f"{name}, {len(data) / 1e6:.1f} MB file, {len(RENDITIONS)} renditions:"]
            for p, (mb, secs) in got.items():
                line.append(f"{p} {mb} MiB peak extra in {secs:.1f} s")
            if len(got) == 2:
                line.append(f"ratio naive/desk {got['naive'][0] / max(got['desk'][0], 1):.1f}x")
            print("  ".join(line))
            worst = max(worst, got.get("desk", (0, 0))[0])
    if args.max_mb is not None and worst > args.max_mb:
        print(f"over the limit: {worst} MiB > {args.max_mb} MiB", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
