"""benchmarks/peer.py: the side-by-side tables in docs/benchmarks.md survive a regeneration of the rest."""
from __future__ import annotations

import json
import subprocess
from datetime import datetime, timezone
from pathlib import Path

from benchmarks import peer


def rows() -> list[dict]:
    def row(label, rps, cpu):
        return {"label": label, "rps": rps, "p95_ms": 100.0, "server_cpu_ms_per_req": cpu, "errors": 0}
    return [row("peer:photo-post-raw", 20.0, 45.0), row("ours:photo-post-raw", 32.0, 30.0),
            row("ours:photo-post-raw", 28.0, 31.0), row("peer:photo-post-raw", 20.0, 46.0)]


def test_table_and_section_round_trip(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nold table\n", encoding="utf-8")
    meta = {"date": datetime(2026, 11, 30, 7, tzinfo=timezone.utc), "load_before": "1 / 1 / 1", "load_after": "2 / 2 / 2",
            "rounds": 2, "duration": 15, "seconds": 1, "commit": "abc", "raw": "x.jsonl"}
    section = peer.render(rows(), meta, "Run")
    assert "1.50× (1.40–1.60)" in section and "≥ 1.5× (met)" in section and "45.5 / 30.5 ms" in section
    peer.write_section("latest", section, doc)
    peer.write_section("before", section.replace("Run", "Before"), doc)
    peer.write_section("latest", section.replace("Run", "Again"), doc)  # replaced in place, not added
    text = doc.read_text(encoding="utf-8")
    assert text.count("<!-- peer:latest -->") == 1 and "### Again" in text and "### Before" in text
    regenerated = peer.keep_peer_block(text, "# Benchmarks\n\nnew table\n")
    assert "new table" in regenerated and "old table" not in regenerated
    assert peer.peer_block(regenerated) == peer.peer_block(text)
    assert json.dumps(peer.summarise(rows())["photo-post-raw"]["runs"]) == "[2, 2]"


def test_the_harness_copy_runs_the_ceiling_and_wrk(tmp_path: Path) -> None:
    folder = Path(__file__).resolve().parents[2] / "shared/bench/peer"
    if not (folder / "side-by-side.sh").is_file():
        folder = tmp_path / "harness"
        folder.mkdir()
        (folder / "side-by-side.sh").write_text('HERE=$(cd "$(dirname "$0")" && pwd)\n"$PY" "$PEER/bench.py" x\n'
                                                '"$PY" - "$OUT" <<\'X\'\nX\n')
    script = folder / "side-by-side.sh"
    copy = peer.adapted(script, folder, tmp_path / "a.sh", ceiling=True, client="wrk").read_text()
    assert "benchmarks/wrk_client.py" in copy and '"$PEER/bench.py"' not in copy
    assert "ceiling-healthz" in copy and f"HERE={folder}" in copy
    plain = peer.adapted(script, folder, tmp_path / "b.sh", ceiling=False, client="bench").read_text()
    assert '"$PEER/bench.py"' in plain and "ceiling-me" not in plain and "upload_floor" not in plain
    floor = peer.adapted(script, folder, tmp_path / "c.sh", ceiling=False, client="wrk", floor=True).read_text()
    assert "benchmarks.upload_floor:create_app()" in floor and '"$PEER/bench.py"' not in floor  # the floor's client is wrk too
    assert floor.index("upload_floor") < floor.index('"$PY" - "$OUT" <<')  # measured before the table is printed
    assert 'peer "floor-$f" --method POST' in floor and '--file "media=$PHOTO"' in floor
    cleared = 'rm -rf "$OURS/floor"'  # one run's floor uploads are gigabytes: none outlives its run
    assert floor.index(cleared) < floor.index("upload_floor") and floor.rindex(cleared) > floor.rindex("floor.pid")
    assert subprocess.run(["bash", "-n", str(tmp_path / "c.sh")]).returncode == 0


def test_the_floor_routes_do_what_they_say(tmp_path: Path) -> None:
    """/store keeps the bytes as sent, /check refuses a truncated photo, /photo is the project's photo work."""
    import io

    from werkzeug.datastructures import FileStorage
    from werkzeug.test import encode_multipart

    from benchmarks.upload_floor import create_app
    photos = Path(__file__).resolve().parent / "photos"
    raw, broken = (photos / "mobile_jolla.jpg").read_bytes(), (photos / "truncated_half.jpg").read_bytes()
    client = create_app(str(tmp_path)).test_client()

    def post(route: str, data: bytes):
        # Encoded in memory: the test client would otherwise spool a big body to a temp file it never closes.
        boundary, body = encode_multipart({"photos": FileStorage(io.BytesIO(data), filename="p.jpg")})
        return client.post(route, data=body, content_type=f"multipart/form-data; boundary={boundary}")

    stored = post("/store", raw)
    assert stored.status_code == 201
    key = stored.get_json()["key"]
    assert (tmp_path / key[:2] / f"{key}.jpg").read_bytes() == raw
    assert post("/check", raw).get_json()["decoded"] == [408, 306]  # 3264 x 2448 at 1/8
    assert post("/check", broken).status_code == 415 and post("/photo", broken).status_code == 415
    photo = post("/photo", raw).get_json()
    assert (photo["width"], photo["height"]) == (1632, 1224)
    written = {p.name for p in (tmp_path / photo["key"][:2]).iterdir()}
    assert written >= {f"{photo['key']}{suffix}.jpg" for suffix in ("", "_t", "_st")}


def test_the_wrk_script_fills_placeholders_and_escapes_bytes() -> None:
    from benchmarks import wrk_client
    assert wrk_client.lua_parts("/r/{id}.json") == '{"/r/", {"id"}, ".json"}'
    assert wrk_client.lua_string('照"\r') == '"\\231\\133\\167\\034\\013"'
    body, kind = wrk_client.multipart([("description", "照片 {rand}")], [("photos", "/x/p.jpg")])
    assert kind.startswith("multipart/form-data; boundary=----wrk")
    boundary = kind.split("=", 1)[1]
    assert body.startswith(f"--{boundary}\r\n") and body.endswith(f"--{boundary}--\r\n")
    assert '{rand}' in body and 'filename="p.jpg"' in body and "{file}" in body


def test_a_table_rendered_again_names_the_client_of_its_raw_lines(tmp_path: Path, monkeypatch) -> None:
    written = {}
    monkeypatch.setattr(peer, "write_section", lambda key, section, *a: written.setdefault(key, section))
    for client, named in (("wrk", "Client: wrk (benchmarks/wrk_client.py)."), ("bench", "Client: bench.py.")):
        raw = tmp_path / f"{client}.jsonl"
        raw.write_text("".join(json.dumps({**r, "client": client}) + "\n" for r in rows()), encoding="utf-8")
        assert peer.render_file(str(raw), client, "Again") == 0
        assert named in written[client]
