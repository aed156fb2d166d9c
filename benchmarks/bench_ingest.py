"""Photo ingest speed: process_image() against the bare Pillow work it has to do, and against a naive pipeline.

    python benchmarks/bench_ingest.py [--repeats N] [--large] [path ...]

- ingest: process_image(data)
- floor:  the same Pillow work alone: open, draft to the same DCT scale, load, reduce/resize to the long-side
          limit as ingest does, encode JPEG, thumbnail from it, encode JPEG (same filters, same qualities)
- naive:  full-size decode (no draft), exif_transpose at full size, resize, encode, thumbnail resized from the
          full-size image, encode; "naive" uses the same filter as ingest, "naive_lanczos" uses LANCZOS
ingest additionally hashes, reads EXIF, rotates and, for photos with a non-sRGB ICC profile (iPhone Display P3),
converts colours to sRGB; the default samples carry no profile.
Targets: ingest/floor <= 1.15, naive/ingest >= 2. `--large` adds a 50 MP JPEG made by upscaling the last path,
the size class where draft() decodes at 1/4 or 1/8 for a 2048 px target.
"""
from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from PIL import Image, ImageOps  # noqa: E402

from inspect_app.photos import processing  # noqa: E402
from inspect_app.photos.processing import process_image  # noqa: E402

DEFAULT_PATHS = [ROOT / "tests/photos/mobile_HMD_Nokia_8.3_5G.jpg", ROOT / "tests/photos/mobile_jolla.jpg"]
MAX_LONG_SIDE = 2048  # process_image()'s default, PHOTO_LONG_SIDE
THUMB_LONG_SIDE = 480


def _encode(img: Image.Image, quality: int) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "JPEG", quality=quality, optimize=False)
    return buf.getvalue()


def floor(data: bytes) -> None:
    with Image.open(io.BytesIO(data)) as img:
        if img.format in ("JPEG", "MPO"):
            img.draft("RGB", processing._decode_size(img.size, MAX_LONG_SIDE))
        img.load()
        main = processing._scale(img, MAX_LONG_SIDE, processing._MAIN_GAP)
        _encode(main, processing.MAIN_QUALITY)
        _encode(processing._scale(main, THUMB_LONG_SIDE, processing._THUMB_GAP), processing.THUMB_QUALITY)


def naive(data: bytes, resample: Image.Resampling | None = None) -> None:
    resample = processing.RESAMPLE if resample is None else resample
    with Image.open(io.BytesIO(data)) as img:
        img.load()
        full = ImageOps.exif_transpose(img).convert("RGB")
        _encode(full.resize(processing._fit(full.size, MAX_LONG_SIDE), resample), processing.MAIN_QUALITY)
        _encode(full.resize(processing._fit(full.size, THUMB_LONG_SIDE), resample), processing.THUMB_QUALITY)


def _medians_ms(fns: dict[str, Callable[[], object]], repeats: int) -> dict[str, float]:
    """Median wall time of each function; rounds are interleaved so load from other processes hits all alike."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm-up: imports, allocator, page cache
    for _ in range(repeats):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(values) * 1000 for name, values in times.items()}


def run(paths: Sequence[str | Path] | None = None, repeats: int = 7) -> list[dict]:
    """One dict per file: median milliseconds of each pipeline and the ratios."""
    results = []
    for path in paths or DEFAULT_PATHS:
        data = Path(path).read_bytes()
        results.append(_measure(str(path), data, repeats))
    return results


def _measure(name: str, data: bytes, repeats: int) -> dict:
    with Image.open(io.BytesIO(data)) as img:
        size = img.size
    ms = _medians_ms(
        {
            "ingest": lambda: process_image(data),
            "floor": lambda: floor(data),
            "naive": lambda: naive(data),
            "naive_lanczos": lambda: naive(data, Image.Resampling.LANCZOS),
        },
        repeats,
    )
    ingest_ms, floor_ms, naive_ms, lanczos_ms = ms["ingest"], ms["floor"], ms["naive"], ms["naive_lanczos"]
    return {
        "path": name,
        "size": size,
        "repeats": repeats,
        "ingest_ms": ingest_ms,
        "floor_ms": floor_ms,
        "naive_ms": naive_ms,
        "naive_lanczos_ms": lanczos_ms,
        "ingest_over_floor": ingest_ms / floor_ms,
        "naive_over_ingest": naive_ms / ingest_ms,
        "naive_lanczos_over_ingest": lanczos_ms / ingest_ms,
    }


def large_sample(source: str | Path, megapixels: float = 50.0) -> bytes:
    """A ~50 MP JPEG (as from a 50 MP phone camera), upscaled from a real photo so it compresses like one."""
    with Image.open(source) as img:
        scale = (megapixels * 1e6 / (img.width * img.height)) ** 0.5
        size = (round(img.width * scale), round(img.height * scale))
        big = img.convert("RGB").resize(size, Image.Resampling.BILINEAR)
    return _encode(big, 90)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", nargs="*", help="photos to ingest (default: the two phone samples)")
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--large", action="store_true", help="also time a synthetic 50 MP JPEG")
    args = parser.parse_args(argv)
    paths: list[str | Path] = list(args.paths or DEFAULT_PATHS)
    rows = run(paths, args.repeats)
    if args.large:
        rows.append(_measure(f"50MP upscale of {Path(paths[-1]).name}", large_sample(paths[-1]), args.repeats))
    print(f"resample={processing.RESAMPLE.name}, medians of {args.repeats} runs, ms")
    print(f"{'file':<44}{'size':>11}{'ingest':>8}{'floor':>8}{'naive':>8}{'naive_L':>9}"
          f"{'ing/floor':>10}{'naive/ing':>10}{'naiveL/ing':>11}")
    for r in rows:
        print(f"{Path(r['path']).name[:43]:<44}{'%dx%d' % r['size']:>11}{r['ingest_ms']:8.1f}{r['floor_ms']:8.1f}"
              f"{r['naive_ms']:8.1f}{r['naive_lanczos_ms']:9.1f}{r['ingest_over_floor']:10.2f}"
              f"{r['naive_over_ingest']:10.2f}{r['naive_lanczos_over_ingest']:11.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
