#!/usr/bin/env python3
"""The side-by-side harness's load generator again, driven by wrk (C, epoll) instead of Python threads.

`python -m benchmarks --peer --peer-client wrk` runs shared/bench/peer/side-by-side.sh with this script in place of
its bench.py. It takes bench.py's arguments and writes the same JSON line (label, requests, rps, p50/p95/p99 ms,
errors, server CPU per request), so the harness's table and benchmarks/peer.py read it unchanged.

Why: the harness's clients and both servers share the machine's 2 cores. bench.py (requests + 8 threads) costs about
1 ms of CPU per request, as much as our whole detail request, so it takes the CPU a faster server would use and caps
every ratio: our `/healthz` (one `SELECT 1`) reached only 2.39x the peer's ticket read (stop 25). wrk costs some
tens of microseconds per request, so the ratio approaches what the servers cost. The workloads, servers, order,
connections (8, closed loop) and durations stay the harness's.

Stdlib only: it runs under the peer's venv Python, as bench.py does. Needs the `wrk` command (Debian: wrk).
Placeholders as bench.py: {id} (a random line of --ids-file), {rand} (12 letters), {lat}, {long}.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from urllib.parse import urlsplit

_LUA = r"""
local ids = {}
local ids_file = %(ids_file)s
if ids_file then for line in io.lines(ids_file) do if line ~= "" then ids[#ids + 1] = line end end end
local method, path_parts = %(method)s, %(path_parts)s
local body_parts, content_type = %(body_parts)s, %(content_type)s
local file_path = %(file_path)s
local file_data = nil
local letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

function init(args)
  math.randomseed(os.time() + math.floor(os.clock() * 1000000))
  if file_path then local f = assert(io.open(file_path, "rb")); file_data = f:read("*a"); f:close() end
end

local function fill(name)
  if name == "id" then return ids[math.random(#ids)] end
  if name == "rand" then
    local t = {}
    for i = 1, 12 do local k = math.random(#letters); t[i] = letters:sub(k, k) end
    return table.concat(t)
  end
  if name == "lat" then return string.format("%%.6f", 60.15 + math.random() * 0.10) end
  if name == "long" then return string.format("%%.6f", 24.85 + math.random() * 0.20) end
  if name == "file" then return file_data end
  return ""
end

local function render(parts)
  local out = {}
  for i, part in ipairs(parts) do
    if type(part) == "table" then out[i] = fill(part[1]) else out[i] = part end
  end
  return table.concat(out)
end

request = function()
  local headers = {}
  for k, v in pairs(wrk.headers) do headers[k] = v end
  local body = nil
  if body_parts then body = render(body_parts); headers["Content-Type"] = content_type end
  return wrk.format(method, render(path_parts), headers, body)
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\nWRK_RESULT {"requests": %%d, "duration_us": %%d, "bytes": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "mean_us": %%f, "max_us": %%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), latency.mean, latency.max))
end
"""


def lua_string(value: str | None) -> str:
    """A Lua string literal of the text's UTF-8 bytes (every byte outside plain ASCII as a decimal escape)."""
    if value is None:
        return "nil"
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 -_./:;=,{}()+*?&#@!~<>|^$"
    return '"' + "".join(chr(b) if b in safe else f"\\{b:03d}" for b in value.encode("utf-8")) + '"'


def lua_parts(text: str) -> str:
    """'a{id}b' -> {"a", {"id"}, "b"}: placeholders filled per request by the Lua side."""
    items = []
    for piece in re.split(r"(\{(?:id|rand|lat|long|file)\})", text):
        if not piece:
            continue
        items.append("{" + lua_string(piece[1:-1]) + "}" if re.fullmatch(r"\{\w+\}", piece)
                     and piece[1:-1] in ("id", "rand", "lat", "long", "file") else lua_string(piece))
    return "{" + ", ".join(items) + "}"


def multipart(form: list[tuple[str, str]], files: list[tuple[str, str]]) -> tuple[str, str]:
    """A multipart body as one text with placeholders ({file} stands for the file's bytes), and its type."""
    boundary = "----wrk" + uuid.uuid4().hex
    out = []
    for key, value in form:
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n')
    for field, path in files:
        name = os.path.basename(path)
        out.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{field}"; filename="{name}"\r\n'
                   f"Content-Type: image/jpeg\r\n\r\n{{file}}\r\n")
    out.append(f"--{boundary}--\r\n")
    return "".join(out), f"multipart/form-data; boundary={boundary}"


def proc_cpu_seconds(pids: list[int]) -> float:
    """utime + stime of these processes and all their descendants (as bench.py counts it)."""
    tick = os.sysconf("SC_CLK_TCK")
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    stat = f.read()
                children.setdefault(int(stat[stat.rindex(")") + 2:].split()[1]), []).append(int(entry))
            except (OSError, ValueError):
                pass
    todo, seen, total = list(pids), set(), 0.0
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        try:
            with open(f"/proc/{pid}/stat") as f:
                stat = f.read()
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, ValueError):
            pass
        todo.extend(children.get(pid, ()))
    return total


def script_text(method: str, path: str, body: str | None = None, content_type: str | None = None,
                file_path: str | None = None, ids_file: str | None = None) -> str:
    """The Lua script for one workload: `path` and `body` may hold the placeholders ({file}: file_path's bytes)."""
    return _LUA % {
        "ids_file": lua_string(os.path.abspath(ids_file)) if ids_file else "nil",
        "method": lua_string(method.upper()), "path_parts": lua_parts(path),
        "body_parts": lua_parts(body) if body is not None else "nil",
        "content_type": lua_string(content_type), "file_path": lua_string(file_path) if file_path else "nil"}


def run_wrk(wrk: str, base: str, script: str, seconds: float, concurrency: int = 8, timeout: float = 30.0,
            headers: list[str] | None = None) -> dict:
    """One wrk run (one thread, `concurrency` connections, closed loop) with the script at path `script`."""
    command = [wrk, "-t1", f"-c{concurrency}", f"-d{max(1, round(seconds))}s",
               "--timeout", f"{max(1, round(timeout))}s", "-s", script]
    for header in headers or ():
        command += ["-H", header]
    command.append(base.rstrip("/") + "/")
    done = subprocess.run(command, capture_output=True, text=True)
    found = re.search(r"^WRK_RESULT (\{.*\})$", done.stdout, re.M)
    if done.returncode != 0 or not found:
        raise SystemExit(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    return json.loads(found.group(1))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--base", required=True)
    ap.add_argument("--path", required=True)
    ap.add_argument("--method", default="GET")
    ap.add_argument("--form", action="append", default=[])
    ap.add_argument("--file", action="append", default=[])
    ap.add_argument("--ids-file")
    ap.add_argument("--concurrency", "-c", type=int, default=8)
    ap.add_argument("--duration", "-d", type=float, default=20.0)
    ap.add_argument("--warmup", type=float, default=2.0)
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--server-pid", type=int, action="append")
    ap.add_argument("--header", action="append")
    ap.add_argument("--label", default="")
    ap.add_argument("--json-out")
    ap.add_argument("--wrk", default=shutil.which("wrk") or "wrk")
    a = ap.parse_args()
    if not shutil.which(a.wrk):
        raise SystemExit("wrk not found: apt-get install wrk")
    form = [tuple(item.split("=", 1)) for item in a.form]
    files = [tuple(item.split("=", 1)) for item in a.file]
    if len(files) > 1:
        raise SystemExit("one --file at most")
    body = content_type = None
    if form or files:
        body, content_type = multipart(form, files)
    path = "/" + a.path.lstrip("/")
    prefix = urlsplit(a.base).path.rstrip("/")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(script_text(a.method, prefix + path, body, content_type, files[0][1] if files else None,
                                 a.ids_file))

    def wrk(seconds: float) -> dict:
        return run_wrk(a.wrk, a.base, script.name, seconds, a.concurrency, a.timeout, a.header)

    try:
        if a.warmup > 0:
            wrk(a.warmup)
        server0 = proc_cpu_seconds(a.server_pid) if a.server_pid else None
        client0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall0 = time.perf_counter()
        out = wrk(a.duration)
        wall = time.perf_counter() - wall0
        client1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        server1 = proc_cpu_seconds(a.server_pid) if a.server_pid else None
    finally:
        os.unlink(script.name)
    n, seconds = out["requests"], out["duration_us"] / 1e6
    errors = out["connect"] + out["read"] + out["write"] + out["status"] + out["timeout"]
    res = {
        "label": a.label, "method": a.method, "url": a.base.rstrip("/") + a.path, "client": "wrk",
        "concurrency": a.concurrency, "duration_s": a.duration, "requests": n, "errors": errors,
        "rps": round(n / seconds, 1) if seconds else 0.0,
        "p50_ms": round(out["p50_us"] / 1000, 2), "p95_ms": round(out["p95_us"] / 1000, 2),
        "p99_ms": round(out["p99_us"] / 1000, 2), "mean_ms": round(out["mean_us"] / 1000, 2),
        "max_ms": round(out["max_us"] / 1000, 2), "avg_resp_bytes": round(out["bytes"] / n) if n else None,
        "client_cpu_pct": round((client1.ru_utime - client0.ru_utime + client1.ru_stime - client0.ru_stime)
                                / wall * 100, 1),
    }
    if server0 is not None:
        res["server_cpu_pct"] = round((server1 - server0) / seconds * 100, 1)
        res["server_cpu_ms_per_req"] = round((server1 - server0) / n * 1000, 2) if n else None
    print(f"[{a.label}] {a.method} {a.path} c={a.concurrency} {a.duration:.0f}s (wrk): {n} req, {res['rps']} req/s, "
          f"p95 {res['p95_ms']} ms, errors {errors}, client CPU {res['client_cpu_pct']}%"
          + (f", server CPU {res['server_cpu_ms_per_req']} ms/req" if server0 is not None else ""))
    if a.json_out:
        with open(a.json_out, "a") as f:
            f.write(json.dumps(res) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
