"""How long the shared PDF layer takes to lay out and draw the big documents (CPU ms, process time).

    python -m benchmarks.bench_pdf [--rows 887] [--items 300] [--repeats 5]

- bulletin: a 督查通报 whose attachment is the 整改任务清单 of a 300-site round with `rows` failures (887 at 15 % of
  20 items failing), grouped by unit, with the columns and 9 pt cells of assessment.documents.bulletin_document;
  built as an OfficialDocument directly (no database), so it times the PDF layer alone: the Chinese line breaking
  (_reportlab.py's breaker), reportlab's table layout across ~100 pages, and the drawing;
- letter: a 督办函 of `items` problems, each with its photo thumbnail, built by escalation.letters_pdf as the sweep
  builds one (a temporary SQLite app, as benchmarks/bench_escalation.py's time_letter_pdf).
Fonts are registered and each document rendered once before timing. Prints each run's CPU ms, then the median and
the best; `run(...) -> dict` returns them.
"""
from __future__ import annotations

import argparse
import io
import json
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

DISTRICTS = ("江城区", "临江区", "新港区", "高新区", "东湖区")
KINDS = ("主次干道", "背街小巷", "农贸市场", "公共厕所", "居民小区", "商业大街", "公园广场")
ROLES = ("属地", "行业", "经营")
STATUSES = ("已派遣", "整改中", "待核查")


def bulletin_document(rows: int = 887, seed: int = 7):
    """A 督查通报 with a `rows`-row 整改任务清单 (the shape of assessment.documents.bulletin_document's)."""
    from inspect_app.pdf.document import Attachment, Column, DataTable, Form, Heading, OfficialDocument, Para, RowGroup

    rng = random.Random(seed)
    tasks: dict[str, list] = {}
    for n in range(rows):
        unit = f"临江市第{rng.randrange(60)}责任单位"
        item = rng.randrange(20)
        tasks.setdefault(unit, []).append([
            f"2026-{n + 1:06d}", f"{DISTRICTS[n % 5]}点位{rng.randrange(600):05d}",
            f"{KINDS[item % 7]}：测评内容{item:02d}：现场整洁有序，设施完好，无乱堆乱放、乱贴乱画。（现场发现问题）",
            ROLES[item % 3], "2026-12-03\n10:00", STATUSES[n % 3]])
    groups, counter = [], 0
    for unit in sorted(tasks, key=lambda u: (-len(tasks[u]), u)):
        group = []
        for row in tasks[unit]:
            counter += 1
            group.append([str(counter), *row])
        groups.append(RowGroup(f"{unit}（{len(group)}项）", group))
    table = DataTable((Column("序号", 10, "plain"), Column("任务编号", 23, "plain"), Column("点位", 30, "text"),
                       Column("问题", 43, "text"), Column("责任\n主体", 14, "label"), Column("整改期限", 21, "plain"),
                       Column("状态", 15, "label")), groups=groups, font_size=9)
    body = [Para("为巩固提升全国文明城市创建成果，市文明办组织开展了2026年第2轮模拟测评，共测评点位300个。"
                 "现将有关情况通报如下。"), Heading("一、总体情况"),
            Para(f"本轮发现不达标问题{rows}个，均已作为整改任务派发至责任单位。"), Para("特此通报。")]
    return OfficialDocument(form=Form.FILE, issuer_mark="临江市文明办文件", doc_number="临江文明测〔2026〕2号",
                            title="关于2026年第2轮模拟测评情况的通报", recipients=["各区县人民政府，市文明委各成员单位"],
                            body=body, attachments=[Attachment("2026年第2轮模拟测评整改任务清单", [table])],
                            signatory="临江市文明办", date=date(2026, 12, 1), report_to=["市委、市政府领导"],
                            cc=["市文明委各成员单位"], printer="临江市文明办", print_date=date(2026, 12, 1))


def _cpu_ms(render, repeats: int) -> list[float]:
    render()  # warm: fonts, caches that any second document finds filled too
    times = []
    for _ in range(repeats):
        started = time.process_time()
        render()
        times.append((time.process_time() - started) * 1000)
    return times


def _figures(times: list[float]) -> dict:
    return {"runs_ms": [round(t) for t in times], "median_ms": round(statistics.median(times)),
            "best_ms": round(min(times))}


def run(rows: int = 887, items: int = 300, repeats: int = 5) -> dict:
    from benchmarks.bench_escalation import AS_OF, _app, _photo
    from inspect_app.extensions import db
    from inspect_app.pdf import register_fonts
    from inspect_app.pdf.render import render_document

    register_fonts()
    figures: dict = {}
    doc = bulletin_document(rows)
    out = io.BytesIO()

    def bulletin() -> None:
        out.seek(0)
        out.truncate()
        render_document(doc, out)

    figures["bulletin"] = {"rows": rows, **_figures(_cpu_ms(bulletin, repeats)), "kib": len(out.getvalue()) // 1024}

    from inspect_app import models as _all_models  # noqa: F401  (every mapper, before the first query)
    from inspect_app.escalation.letters_pdf import build_letter_pdf
    from inspect_app.escalation.models import Letter, LetterItem
    from inspect_app.photos.storage import PhotoStore
    from inspect_app.units.models import Unit

    places = ("人民路{n}号门前（人民路东段）", "芙蓉中路二段与五一大道交叉口东北角{n}号“好又多”超市门前",
              "江城区桐梓坡路中段XJ-2026-{n:05d}号杆旁", "高新区麓谷大道{n}号A栋（西门）")
    categories = ("乱堆乱放", "占道经营（店外经营）", "牛皮癣、小广告", "公共厕所卫生不达标", "非机动车乱停放")
    with tempfile.TemporaryDirectory(prefix="bench-pdf-") as folder:
        app = _app(None, Path(folder))
        with app.app_context():
            db.create_all()
            store = PhotoStore(app.config["UPLOAD_FOLDER"])
            letter = Letter(status="issued", kind="listed", number="临江文明督〔2026〕8号", year=2026, seq=8,
                            unit=Unit(code="U001", name="临江市江城区东城街道办事处", kind="街道"), level=2,
                            issued_at=AS_OF, reply_by=AS_OF + timedelta(days=7), pdf_path="letters/2026/00008.pdf")
            for i in range(items):
                key = f"{i:032x}"
                path = store.path(key, thumb=True)
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(_photo(i))
                letter.items.append(LetterItem(
                    ticket_id=i + 1, level=2, reply_by=letter.reply_by, position=i + 1,
                    ticket_number=f"2026-{i + 1:06d}", category_name=categories[i % len(categories)],
                    place=places[i % len(places)].format(n=i + 1), reported_at=AS_OF - timedelta(days=9),
                    original_deadline=AS_OF - timedelta(days=8), days_overdue=8 + i % 5, photo_key=key))

            def letter_pdf() -> None:
                out.seek(0)
                out.truncate()
                build_letter_pdf(letter, out)

            figures["letter"] = {"items": items, **_figures(_cpu_ms(letter_pdf, repeats)),
                                 "kib": len(out.getvalue()) // 1024}
            db.session.remove()
            db.engine.dispose()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=887)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for name, figures in run(args.rows, args.items, args.repeats).items():
        print(name, json.dumps(figures, ensure_ascii=False))


if __name__ == "__main__":
    main()
