"""Round operations: create (draw and assign), reassign a site, submit a site's results (failures become tickets),
close, issue the numbered 督查通报. Operations check their rules and flush; the edge commits (boundary.py)."""
from __future__ import annotations

import hashlib
import json
import logging
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select, update

from ..auth.models import User
from ..common.errors import BadRequest, Conflict, Forbidden, Invalid, NotFound, ServiceError
from ..common.ids import MAX_ID
from ..common.models import next_value
from ..common.numbers import round_half_up
from ..common.sql import by_code_point
from ..common.text import clean_text, text_value
from ..common.timeutil import local
from ..extensions import db
from ..policy import INSPECTORS, OFFICE, UNITS, has_role, sees_citywide
from ..sites.models import Site, SiteKind
from ..tickets.policy import SITE_LOCKS, territory_scope
from ..tickets.services import NewReport, create_ticket, refuse_reused_key
from ..units.territory import territory_ids
from . import checklist, findings
from .draw import DrawRequest, draw, recent_round_ids
from .models import KINDS, ChecklistItem, Result, Round, RoundSite

log = logging.getLogger(__name__)

MAX_PER_KIND = 1000
MAX_SEED = 2**53 - 1
MAX_NOTE = 500
BULLETIN_SEQUENCE = "assessment_bulletin"
SCOPES = ("own", "territory")  # what a unit reads: 本单位, or its 辖区 (a unit with units under it; read only)


# ----------------------------------------------------------------------------- reading

def finding_holds_site(ticket) -> str | None:
    """A round's failed item became this ticket: the item was checked at the round's site, so the ticket's site
    stays that one (its page's 关联点位, tickets/policy.SITE_LOCKS)."""
    rnd = db.session.scalar(select(Round).join(RoundSite, RoundSite.round_id == Round.id)
                            .join(Result, Result.round_site_id == RoundSite.id)
                            .where(Result.ticket_id == ticket.id).limit(1))
    if rnd is None:
        return None
    return f"该问题是{rnd.kind_label}“{rnd.name}”在该点位查出的不达标项，点位不能更改。"


if finding_holds_site not in SITE_LOCKS:
    SITE_LOCKS.append(finding_holds_site)


def shown_to_units():
    """A drawn site as a unit may see it: once it has been scored, or once its round is closed. Until then the draw
    belongs to the office and its inspectors: a unit told which of its sites an 暗访 or a 随机抽查 will visit
    could tidy those, and only those, before the visit. Needs Round joined."""
    return or_(RoundSite.status == "submitted", Round.status == "closed")


def territory_reads(user, sub_unit: int | None) -> bool | frozenset[int]:
    """The `territory` of the reads below for a unit's 辖区 scope: its whole 辖区 (True), or with `sub_unit` that
    下属单位 and the units under it (tickets/policy.territory_scope: 404 outside the 辖区, 403 no_territory for a
    unit overseeing nobody)."""
    return territory_scope(user, sub_unit) if sub_unit is not None else True


def round_site_scope(user, territory: bool | frozenset[int] = False):
    """SQL condition (RoundSite and Site joined): the drawn sites this user may see as concerning them in their
    round: a unit, those it answered for then in any role (models.answered_by: the units fixed when the site was
    scored, not the site's units now), so that moving a site to another 属地 neither takes a scored round's site
    from the unit it was charged to nor gives it to the new one; and those where a finding is charged to it now (a
    退单 moved the task to it): findings.concerns, the rule the scores read too. With `territory`, a unit with
    units under it (units/territory.py) reads those of any unit of its 辖区 the same way (read only); a unit with
    nobody under it, its own. `territory` may be the units of one 下属单位 instead (territory_reads)."""
    if sees_citywide(user):
        return RoundSite.id.is_not(None)
    if has_role(user, UNITS) and user.unit_id:
        units = (territory if isinstance(territory, frozenset) else territory_ids(user)) if territory else None
        return findings.concerns(units if units is not None else user.unit_id)
    return RoundSite.id.is_(None)


def visible_round_ids_condition(user, territory: bool | frozenset[int] = False):
    """Rounds a unit may see: those with at least one of its sites that it may see (round_site_scope, shown_to_units;
    a site with a finding charged to it has been scored, so is shown)."""
    return Round.id.in_(select(RoundSite.round_id).join(Site, Site.id == RoundSite.site_id)
                        .join(Round, Round.id == RoundSite.round_id)
                        .where(round_site_scope(user, territory), shown_to_units()))


def list_rounds(user, kind: str | None = None, territory: bool | frozenset[int] = False) -> list[Round]:
    query = select(Round).order_by(Round.created_at.desc(), Round.id.desc())
    if not sees_citywide(user):
        query = query.where(visible_round_ids_condition(user, territory))
    if kind:
        query = query.where(Round.kind == kind)
    return list(db.session.scalars(query))


def get_round(user, round_id: int, territory: bool | frozenset[int] = False) -> Round:
    found = db.session.get(Round, round_id)
    if found is None:
        raise NotFound("测评轮次不存在或无权查看。")
    if not sees_citywide(user) and not db.session.scalar(
            select(Round.id).where(Round.id == round_id, visible_round_ids_condition(user, territory))):
        raise NotFound("测评轮次不存在或无权查看。")
    return found


def round_sites(user, rnd: Round, territory: bool | frozenset[int] = False) -> list[RoundSite]:
    """The round's drawn sites this user may see (a unit: those it answered for in the round, once scored or once
    the round is closed; with `territory`, those of its 辖区)."""
    query = (select(RoundSite).join(Site, Site.id == RoundSite.site_id).where(RoundSite.round_id == rnd.id)
             .order_by(by_code_point(RoundSite.district), RoundSite.site_kind_id, RoundSite.site_code))
    if not sees_citywide(user):
        query = query.join(Round, Round.id == RoundSite.round_id).where(round_site_scope(user, territory),
                                                                        shown_to_units())
    return list(db.session.scalars(query))


def get_round_site(rnd: Round, site_id: int, user=None, territory: bool | frozenset[int] = False) -> RoundSite:
    """A drawn site of the round; given a user who does not see citywide, only one shown to units and answered for
    by the user's unit in the round (404 otherwise, the same answer as for a site that was not drawn)."""
    query = select(RoundSite).where(RoundSite.round_id == rnd.id, RoundSite.site_id == site_id)
    if user is not None and not sees_citywide(user):
        query = query.join(Site, Site.id == RoundSite.site_id).where(round_site_scope(user, territory))
    found = db.session.scalar(query)
    if found is None or (user is not None and not sees_citywide(user) and found.status != "submitted"
                         and rnd.status != "closed"):
        raise NotFound("该点位不在本轮测评中。")
    return found


def assigned_to(user, open_only: bool = True) -> list[RoundSite]:
    """An inspector's drawn sites (open rounds), to do first, then done."""
    query = select(RoundSite).join(Round, Round.id == RoundSite.round_id).where(RoundSite.inspector_id == user.id)
    if open_only:
        query = query.where(Round.status == "open")
    query = query.order_by(Round.created_at.desc(), (RoundSite.status == "submitted"),
                           by_code_point(RoundSite.district),
                           RoundSite.site_code)
    return list(db.session.scalars(query))


def draw_summary(rnd: Round) -> tuple[str, list[str]]:
    """How the round's sites were drawn (draw.describe) and its strata short of sites, in words."""
    from .draw import describe, shortage_text
    spec = rnd.draw
    covered: list[str] = []
    if spec.get("per_district"):
        found = set(db.session.scalars(select(RoundSite.district).where(RoundSite.round_id == rnd.id).distinct()))
        found |= {s["district"] for s in spec.get("shortages") or [] if s.get("district")}
        order = spec.get("districts") or []
        covered = sorted(found, key=lambda d: (order.index(d) if d in order else len(order), d))
    return describe(spec, covered), [shortage_text(spec, s) for s in spec.get("shortages") or []]


def excluded_rounds(rnd: Round) -> list[Round]:
    """The rounds whose sites the draw left out (recorded when it drew), newest first."""
    ids = rnd.draw.get("exclude_rounds") or []
    found = {r.id: r for r in db.session.scalars(select(Round).where(Round.id.in_(ids)))} if ids else {}
    return [found[i] for i in ids if i in found]


def may_submit(user, rs: RoundSite) -> bool:
    return has_role(user, OFFICE) or (has_role(user, INSPECTORS) and rs.inspector_id == user.id)


def ensure_may_submit(user, rs: RoundSite) -> None:
    if not may_submit(user, rs):
        raise Forbidden("该点位没有分配给您，不能提交测评结果。", code="not_assigned")


def items_for(rs: RoundSite) -> list[ChecklistItem]:
    """The drawn site's checklist: its round's version, for the type the site had when drawn."""
    return checklist.items(rs.round.checklist_version, rs.site_kind_id)


# ----------------------------------------------------------------------------- creating a round

@dataclass
class RoundInput:
    kind: str
    name: str
    per_kind: dict[str, int]
    inspector_ids: list[int]
    per_district: bool = False
    seed: int | None = None
    exclude_recent: int = 0
    districts: list[str] = field(default_factory=list)
    exclude_rounds: list[int] | None = None  # the rounds to leave out, as a round records them (None: the last N)


def _int(value, label: str, low: int, high: int, code: str) -> int:
    if isinstance(value, bool):
        raise BadRequest(f"{label}应为整数。", code=code)
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BadRequest(f"{label}应为整数。", code=code) from None
    if not low <= number <= high:
        raise Invalid(f"{label}应在 {low} 到 {high} 之间。", code=code)
    return number


def parse_round(body: Mapping) -> RoundInput:
    """The API's JSON body (API.md) → RoundInput; bad fields answer 400/422 with the field named."""
    kind = str(body.get("kind") or "").strip()
    if kind not in KINDS:
        raise BadRequest("测评类型不正确，应为 " + "、".join(f"{k}（{v}）" for k, v in KINDS.items()) + " 之一。",
                         code="invalid_kind")
    spec = body.get("draw") or {}
    if not isinstance(spec, Mapping):
        raise BadRequest("draw 应为对象。", code="invalid_draw")
    per_kind_raw = spec.get("per_kind") or {}
    if not isinstance(per_kind_raw, Mapping) or not per_kind_raw:
        raise BadRequest("请在 draw.per_kind 中填写各类点位的抽取数量。", code="invalid_draw")
    per_kind = {str(k).strip(): _int(v, f"“{k}”的抽取数量", 0, MAX_PER_KIND, "invalid_draw")
                for k, v in per_kind_raw.items()}
    seed = spec.get("seed")
    inspectors = body.get("inspector_ids") or []
    if not isinstance(inspectors, list):
        raise BadRequest("inspector_ids 应为数组。", code="invalid_inspectors")
    districts = spec.get("districts") or []
    if not isinstance(districts, list):
        raise BadRequest("draw.districts 应为数组。", code="invalid_draw")
    exclude_rounds = spec.get("exclude_rounds")
    if exclude_rounds is not None and not isinstance(exclude_rounds, list):
        raise BadRequest("draw.exclude_rounds 应为测评轮次编号的数组。", code="invalid_draw")
    per_district = spec.get("per_district", False)
    if per_district is None:
        per_district = False
    if not isinstance(per_district, bool):  # "no" was read as true; a page's checkbox arrives as a bool too
        raise BadRequest("draw.per_district 应为 true 或 false。", code="invalid_draw")
    return RoundInput(kind=kind, name=text_value(body.get("name"), "轮次名称"), per_kind=per_kind,
                      inspector_ids=[_int(i, "督查员", 1, MAX_ID, "invalid_inspectors") for i in inspectors],
                      per_district=per_district,
                      seed=None if seed in (None, "") else _int(seed, "抽签编号", 0, MAX_SEED, "invalid_seed"),
                      exclude_recent=_int(spec.get("exclude_recent") or 0, "排除最近轮次数", 0, 100,
                                          "invalid_draw"),
                      districts=[str(d).strip() for d in districts if str(d).strip()],
                      exclude_rounds=None if exclude_rounds is None else
                      [_int(i, "排除的测评轮次", 1, MAX_ID, "invalid_draw") for i in exclude_rounds])


def create_round(user, data: RoundInput, now: datetime) -> tuple[Round, dict]:
    """Draw the sites, assign them to the inspectors and record everything needed to draw them again."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以组织测评。")
    version = checklist.current_version()
    if version is None:
        raise Invalid("还没有测评体系，请先导入测评项目。", code="no_checklist")
    kinds = {k.name: k for k in db.session.scalars(select(SiteKind).where(SiteKind.active.is_(True)))}
    unknown = [k for k in data.per_kind if k not in kinds]
    if unknown:
        raise Invalid(f"点位类型“{'、'.join(unknown)}”不存在或已停用。", code="unknown_site_kind")
    per_kind = {k: n for k, n in data.per_kind.items() if n > 0}
    if not per_kind:
        raise Invalid("请至少为一类点位填写大于 0 的抽取数量。", code="invalid_draw")
    inspectors = _inspectors(data.inspector_ids)
    name = clean_text(data.name, "轮次名称", 100) or \
        f"{local(now):%Y年%-m月}{KINDS[data.kind]}"
    seed = data.seed if data.seed is not None else secrets.randbelow(10**9)
    # "The last N rounds" is now's: the round keeps which they were, so that its draw can be made again.
    excluded = recent_round_ids(data.exclude_recent) if data.exclude_rounds is None else \
        _rounds(data.exclude_rounds)
    request = DrawRequest(per_kind=per_kind, seed=seed, per_district=data.per_district,
                          exclude_rounds=excluded, districts=data.districts or None)
    result = draw(request)
    if not result.site_ids:
        raise Invalid("按当前条件没有可抽取的点位（点位库为空，或都在排除范围内）。", code="no_sites")
    spec = {"per_kind": per_kind, "per_district": data.per_district, "seed": seed,
            "exclude_recent": data.exclude_recent, "exclude_rounds": excluded, "districts": data.districts,
            "shortages": result.shortages, "excluded": result.excluded}
    rnd = Round(kind=data.kind, name=name, status="open", seed=seed, draw_json=json.dumps(spec, ensure_ascii=False),
                checklist_version_id=version.id, created_by=user.id, created_at=now)
    db.session.add(rnd)
    db.session.flush()
    sites = {s.id: s for s in db.session.scalars(select(Site).where(Site.id.in_(result.site_ids)))}
    ordered = sorted(result.site_ids, key=lambda i: (sites[i].district, sites[i].kind.sort_order, sites[i].code))
    for index, site_id in enumerate(ordered):
        # Contiguous shares: each inspector gets neighbouring sites (same district first), not a scatter.
        inspector = inspectors[index * len(inspectors) // len(ordered)]
        db.session.add(RoundSite.drawn(sites[site_id], round_id=rnd.id, inspector_id=inspector.id, status="assigned"))
    db.session.flush()
    return rnd, spec


def _rounds(ids: list[int]) -> list[int]:
    """Rounds named to leave out (a round's record drawn again): each must exist."""
    ids = list(dict.fromkeys(ids))
    found = set(db.session.scalars(select(Round.id).where(Round.id.in_(ids)))) if ids else set()
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise Invalid(f"要排除的测评轮次（编号 {'、'.join(missing)}）不存在。", code="invalid_draw")
    return ids


def may_walk(user: User | None) -> bool:
    """Who may be given a round's sites: an active 督查员. The office does not walk them: it may submit any site's
    results itself (may_submit), and its pages offer it no share."""
    return user is not None and user.active and user.role in INSPECTORS


def assignee_problem(rs: RoundSite) -> str | None:
    """Why a site still to be scored waits on nobody who can walk it (its inspector disabled, or not an
    inspector): the office should 改派 it. None for one in good hands, submitted, or its round closed."""
    if rs.status != "assigned" or rs.round.status != "open" or may_walk(rs.inspector):
        return None
    if rs.inspector is None:
        return "未分配"
    return "已停用" if not rs.inspector.active else "不是督查员"


def _inspectors(ids: list[int]) -> list[User]:
    if not ids:
        raise Invalid("请至少选择一名督查员。", code="inspectors_required")
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids)))}
    result = []
    for i in dict.fromkeys(ids):
        user = users.get(i)
        if not may_walk(user):
            raise Invalid(f"督查员（编号 {i}）不存在、已停用或不是督查员。", code="invalid_inspectors")
        result.append(user)
    return result


def reassign(user, rnd: Round, site_id: int, inspector_id) -> RoundSite:
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以调整分工。")
    rs = get_round_site(rnd, site_id)
    if rnd.status != "open" or rs.status != "assigned":
        raise Conflict("该点位已提交或本轮已结束，不能再调整督查员。", code="round_site_done")
    if inspector_id in (None, ""):  # the field missing: malformed, as a form that sends none
        raise BadRequest("请选择要改派给的督查员。", code="inspectors_required")
    (inspector,) = _inspectors([_int(inspector_id, "督查员", 1, MAX_ID, "invalid_inspectors")])
    before = rs.inspector
    rs.inspector = inspector  # the relationship too: the id alone left it naming the previous inspector
    db.session.flush()
    if before is None or before.id != inspector.id:  # as a 回头看's 改派: who had it, who has it now
        from ..audit import trail
        had = f"{before.name}（{before.username}{'，已停用' if not before.active else ''}）" if before else "未分配"
        trail.record("assessment", "reassign", f"{rnd.name} · {rs.site.code} {rs.site.name}",
                     f"督查员：{had} → {inspector.name}（{inspector.username}）")
    return rs


def close_round(user, rnd: Round, now: datetime) -> Round:
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以结束测评。")
    if rnd.status != "open":
        raise Conflict("本轮测评已经结束。", code="round_closed")
    changed = db.session.execute(update(Round).where(Round.id == rnd.id, Round.status == "open")
                                 .values(status="closed", closed_at=now)
                                 .execution_options(synchronize_session="fetch"))
    if changed.rowcount != 1:
        raise Conflict("本轮测评刚被结束。", code="round_closed")
    _fix_units_of_missed(rnd)
    _audit_close(user, rnd, now)
    return rnd


def _fix_units_of_missed(rnd: Round) -> None:
    """The sites the round closes without a score answer, in it, with the units they have now (the scored ones
    were fixed at their submission): a site moved to another 属地 later does not move its round's "未测评" to the
    new unit's results. One UPDATE, however many sites the round drew."""
    def now_(column):
        return select(column).where(Site.id == RoundSite.site_id).correlate(RoundSite).scalar_subquery()
    db.session.execute(update(RoundSite).where(RoundSite.round_id == rnd.id, RoundSite.territorial_unit_id.is_(None))
                       .values(territorial_unit_id=now_(Site.territorial_unit_id),
                               sector_unit_id=now_(Site.sector_unit_id),
                               operator_unit_id=now_(Site.operator_unit_id))
                       .execution_options(synchronize_session="fetch"))


def _audit_close(user, rnd: Round, now: datetime) -> None:
    """The 操作日志's entry for a round ended (文明测评 · 结束): who, when, and how many of its sites had been scored;
    in the same transaction, so a close refused leaves none."""
    from ..audit import trail

    counts = dict(db.session.execute(select(RoundSite.status, func.count()).where(RoundSite.round_id == rnd.id)
                                     .group_by(RoundSite.status)).all())
    trail.record("assessment", "close", rnd.name,
                 f"{rnd.kind_label}；已提交{counts.get('submitted', 0)}个点位，共{sum(counts.values())}个",
                 user=user, now=now)


def issue_bulletin(user, rnd: Round, now: datetime, prefix: str) -> Round:
    """Number the round's 督查通报 in its own gap-free yearly series (taken once; a second issue is 409)."""
    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以印发督查通报。")
    if rnd.bulletin_number:
        raise Conflict(f"本轮督查通报已印发（{rnd.bulletin_number}）。", code="bulletin_issued")
    if not db.session.scalar(select(RoundSite.id).where(RoundSite.round_id == rnd.id,
                                                         RoundSite.status == "submitted").limit(1)):
        raise Conflict("本轮还没有任何点位提交测评结果，不能印发通报。", code="no_results")
    year = local(now).year
    seq = next_value(BULLETIN_SEQUENCE, year)
    changed = db.session.execute(
        update(Round).where(Round.id == rnd.id, Round.bulletin_number.is_(None))
        .values(bulletin_year=year, bulletin_seq=seq, bulletin_number=f"{prefix}〔{year}〕{seq}号",
                bulletin_issued_at=now).execution_options(synchronize_session="fetch"))
    if changed.rowcount != 1:
        raise Conflict("本轮督查通报刚被印发。", code="bulletin_issued")
    _keep_bulletin(rnd)
    _audit_bulletin(user, rnd, now)
    return rnd


def _audit_bulletin(user, rnd: Round, now: datetime) -> None:
    """The 操作日志's entry for a 通报 issued (发文 · 印发): who took which 文号 for which round, as a 红黑榜's
    publication is recorded (rankings.services); in the same transaction as the number."""
    from ..audit import trail

    trail.record("document", "issue", f"督查通报 {rnd.name}", f"文号：{rnd.bulletin_number}；{rnd.kind_label}",
                 user=user, now=now)


def _keep_bulletin(rnd: Round) -> None:
    """The 通报 as issued, written now (documents.py: a 公文 sent does not change with what is decided afterwards);
    removed again if the issue rolls back. One that cannot be written now is written at its first download."""
    from ..boundary import delete_on_rollback
    from . import documents

    db.session.refresh(rnd)  # the number and date as the UPDATE wrote them
    delete_on_rollback(documents.issued_path(rnd))
    try:
        documents.keep_issued(rnd)
    except Exception:  # noqa: BLE001 - the number is taken either way
        log.exception("round %s's 通报 not written at its issue; its first download writes it", rnd.id)


# ----------------------------------------------------------------------------- submitting a site

@dataclass
class Answer:
    code: str
    passed: bool
    note: str = ""


def parse_answers(raw) -> list[Answer]:
    """The API's `results` JSON text, [{"item", "pass", "note"}], → answers (400 on a malformed list)."""
    if isinstance(raw, str):
        try:
            raw = json.loads(raw or "null")
        except ValueError:
            raise BadRequest("results 不是有效的 JSON。", code="invalid_results") from None
    if not isinstance(raw, list) or not raw:
        raise BadRequest("results 应为非空数组：[{\"item\": 编码, \"pass\": true/false, \"note\": 说明}]。",
                         code="invalid_results")
    answers = []
    for entry in raw:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("pass"), bool) \
                or not str(entry.get("item") or "").strip():
            raise BadRequest("results 中每一项应为 {\"item\": 编码, \"pass\": true/false}。", code="invalid_results")
        # text, as every text field of the API: a note sent as {"a": 1} or true was stored as "{'a': 1}", "True"
        # and printed so in the ticket's description and the 督查通报
        code = text_value(entry["item"], "测评项目编码").strip()[:32]
        answers.append(Answer(code, entry["pass"], text_value(entry.get("note"), "情况说明")))
    return answers


def answers_from_form(form, codes: list[str]) -> list[Answer]:
    """A page's form: pass_<code> = "1" (达标) or "0" (不达标), note_<code>."""
    answers = []
    for code in codes:
        value = form.get(f"pass_{code}")
        if value in ("1", "0"):
            answers.append(Answer(code, value == "1", form.get(f"note_{code}") or ""))
    return answers


def fingerprint(answers: list[Answer], files) -> str:
    """What a submission says (answers and photos' bytes): a retry has the same, another submission not."""
    digest = hashlib.sha256()
    digest.update(json.dumps(sorted((a.code, a.passed, a.note.strip()) for a in answers),
                             ensure_ascii=False).encode())
    for name in sorted(files.keys()):
        for upload in files.getlist(name):
            if not upload:
                continue
            position = upload.stream.tell()
            digest.update(name.encode() + b"\0")
            for chunk in iter(lambda: upload.stream.read(1 << 16), b""):
                digest.update(chunk)
            upload.stream.seek(position)
    return digest.hexdigest()


def responsible_unit(site: Site, item: ChecklistItem):
    """The unit answering for `item` at `site`: the item's role there, else the 属地 (always set)."""
    unit = site.unit_for(item.answerable_by)
    if unit is None or not unit.active:
        unit = site.territorial_unit
    return unit


ITEM_NAME_LIMIT = 30


def _item_name(item: ChecklistItem) -> str:
    """An item's text in a message: whole, or cut at ITEM_NAME_LIMIT characters with "…" (a cut shows)."""
    text = item.text.strip()
    return text if len(text) <= ITEM_NAME_LIMIT else text[:ITEM_NAME_LIMIT - 1].rstrip() + "…"

def submit(user, rnd: Round, site_id: int, answers: list[Answer], files, now: datetime,
           key: str | None = None, fingerprint_: str | None = None,
           processed: dict | None = None) -> tuple[RoundSite, bool]:
    """Record a site's answers. Every item of the site's type must be answered, every failure needs a photo.
    Each failure becomes a ticket (source: the round's kind) dispatched to the unit answering for the item, with
    the item's deadline. Returns (round site, created); the same submission again (same Idempotency-Key, or the
    same content) creates nothing; the same key with other content answers 422 (idempotency_key_reused), any
    other submission after the first 409. `files`: the request's uploads
    (photos_<code>); `processed`: photos already decoded, {code: [ProcessedPhoto]} (the demo, tests)."""
    from ..photos.service import read_uploads

    rs = get_round_site(rnd, site_id)
    ensure_may_submit(user, rs)
    # Queue behind a twin submission of this site until it commits (row lock / SQLite's write lock).
    db.session.execute(update(RoundSite).where(RoundSite.id == rs.id).values(status=RoundSite.status))
    db.session.refresh(rs)
    if rs.status == "submitted":
        if key and rs.idempotency_key == key:  # a retry, unless it says something else (as a ticket's filing)
            refuse_reused_key(rs.fingerprint, fingerprint_, "测评结果", lambda: _edited_after_sending(user, rs))
            return rs, False
        if fingerprint_ and rs.fingerprint == fingerprint_:
            return rs, False
        raise Conflict("该点位已提交过测评结果，不能重复提交。" + _how_to_correct(user), code="already_submitted")
    if rnd.status != "open":
        raise Conflict("本轮测评已结束，不能再提交。", code="round_closed")

    site = rs.site
    kind_name = rs.site_kind.name  # the type it was drawn as: its checklist
    items = {i.code: i for i in items_for(rs)}
    if not items:
        raise Invalid(f"测评体系中没有“{kind_name}”类点位的测评项目。", code="no_items")
    seen: set[str] = set()
    for answer in answers:
        if answer.code not in items:
            raise Invalid(f"测评项目“{answer.code}”不属于{kind_name}的测评体系。", code="unknown_item")
        if answer.code in seen:
            raise BadRequest(f"测评项目“{answer.code}”重复出现。", code="duplicate_item")
        seen.add(answer.code)
    missing = [code for code in items if code not in seen]
    if missing:
        raise Invalid(f"还有 {len(missing)} 项未评：{'、'.join(_item_name(items[c]) for c in missing[:5])}"
                      f"{'等' if len(missing) > 5 else ''}。", code="incomplete")
    notes = {a.code: clean_text(a.note, "情况说明", MAX_NOTE, multiline=True) for a in answers}
    failures = [a for a in answers if not a.passed]
    for answer in failures:
        given = (processed or {}).get(answer.code) if processed is not None else \
            [f for f in files.getlist(f"photos_{answer.code}") if f and f.filename]
        if not given:
            raise BadRequest(f"不达标项“{_item_name(items[answer.code])}”须拍照留证。", code="photo_required")
    if processed is not None:
        photos = {a.code: list(processed[a.code]) for a in failures}
    else:
        order = {code: number for number, code in enumerate(items, start=1)}
        photos = {}
        for a in failures:
            try:
                photos[a.code] = read_uploads(files.getlist(f"photos_{a.code}"), required=True, now=now, user=user)
            except ServiceError as error:  # name the item, as the page numbers them: which photo to take again
                item = f"第{order[a.code]}项（{_item_name(items[a.code])}）"
                raise ServiceError(item + ("的" if error.message.startswith("第") else "：") + error.message,
                                   code=error.code, status=error.status) from None

    deducted = 0.0
    default_category = None
    for answer in answers:
        item = items[answer.code]
        unit = responsible_unit(site, item)
        result = Result(round_site_id=rs.id, item_id=item.id, passed=answer.passed, note=notes[answer.code],
                        deducted=0.0 if answer.passed else item.points, unit_id=unit.id if unit else None)
        db.session.add(result)
        if answer.passed:
            continue
        deducted += item.points
        category = item.category
        if category is None or not category.active:
            default_category = default_category or checklist.assessment_category()
            category = default_category
        note = notes[answer.code]
        description = f"【{rnd.kind_label}·{rnd.name}】{kind_name}“{rs.site_name}”未达标：{item.text}（{item.code}，" \
                      f"扣{item.points:g}分）" + (f"。{note}" if note else "")
        report = NewReport(category=category.code, photos=photos[answer.code], lat=site.lat, lon=site.lon,
                           address=(site.name + (f"（{site.address}）" if site.address else ""))[:200],
                           description=description[:2000], source=rnd.kind, site_id=site.id,
                           unit=unit, deadline_rule=item.deadline_rule)
        ticket, _ = create_ticket(user, report, now)
        result.ticket_id = ticket.id
    full = rnd.checklist_version.full_score
    rs.status, rs.submitted_at, rs.submitted_by = "submitted", now, user.id
    rs.fix_units(site)  # the units answering for it in this round: its results' units are these too
    rs.deducted = round_half_up(deducted, 2)
    rs.score = round_half_up(max(0.0, full - deducted), 2)
    rs.idempotency_key, rs.fingerprint = key, fingerprint_
    db.session.flush()
    return rs, True


def _how_to_correct(user) -> str:
    return ("如需更正，请先在轮次页撤回该点位的测评结果（写明原因），再重新测评。" if has_role(user, OFFICE) else
            "如需更正，请联系文明办在轮次页撤回该点位的测评结果，撤回后即可重新测评。")


def _edited_after_sending(user, rs: RoundSite) -> str:
    """The same draft (its key) sent again with other answers: its first sending arrived though the phone never
    heard back, and the inspector changed something meanwhile. The site stands as first sent; say so, and how to
    correct it."""
    current = findings.site_scores([rs.id])
    score = current[rs.id][1] if rs.id in current else rs.score
    return (f"该点位已于{local(rs.submitted_at):%m-%d %H:%M}提交过测评结果（得分{score:g}），保存的是当时提交的内容，"
            "之后修改的内容没有保存。" + _how_to_correct(user))


# ----------------------------------------------------------------------------- withdrawing a site's results

def withdraw_blocker(rnd: Round, rs: RoundSite) -> Conflict | None:
    """Why the office may not withdraw this site's results now (409), or None. The round must still be open and
    its 通报 not issued (a score the 通报 printed stays), the site submitted, and none of the tasks its failures
    became closed (a problem put right and verified was a finding: it stays)."""
    if rnd.status != "open":
        return Conflict("本轮测评已结束，点位的测评结果不能再撤回。", code="round_closed")
    if rnd.bulletin_number:
        return Conflict(f"本轮督查通报已印发（{rnd.bulletin_number}），点位的测评结果不能再撤回。",
                        code="bulletin_issued")
    if rs.status != "submitted":
        return Conflict("该点位还没有提交测评结果，无需撤回。", code="not_submitted")
    closed = [r.ticket.number for r in results_of(rs) if r.ticket is not None and r.ticket.status == "closed"]
    if closed:
        return Conflict(f"该点位的整改任务{'、'.join(closed)}已核查结案，测评结果不能撤回。", code="task_closed")
    return None


def withdraw(user, rnd: Round, site_id: int, reason, now: datetime) -> tuple[RoundSite, list]:
    """The office takes back a site's submitted results (测错了点位、判错了项目), saying why, so that it can be
    scored again: the tasks its failures became are voided (作废) with that reason — they were findings of a
    result that no longer stands, and a new submission makes its own — the answers are removed, the site is
    待测评 again for its inspector, and the 操作日志 records who withdrew what and why. Returns (the round site,
    the tickets voided)."""
    from ..audit import trail
    from ..tickets import services as tickets

    if not has_role(user, OFFICE):
        raise Forbidden("只有文明办可以撤回点位的测评结果。", code="forbidden")
    rs = get_round_site(rnd, site_id)
    # Queue behind a submission of this site until it commits (as submit does).
    db.session.execute(update(RoundSite).where(RoundSite.id == rs.id).values(status=RoundSite.status))
    db.session.refresh(rs)
    blocker = withdraw_blocker(rnd, rs)
    if blocker is not None:
        raise blocker
    reason = clean_text(reason, "撤回原因", MAX_NOTE, multiline=True)
    if not reason:
        raise BadRequest("请填写撤回原因，如“点位测错”“测评项目判断有误”。", code="reason_required")
    results = results_of(rs)
    score = findings.site_scores([rs.id])[rs.id][1]  # as it stands (a finding voided as 误判 deducts nothing)
    voided = []
    for result in results:
        ticket = result.ticket
        if ticket is not None and ticket.status != "cancelled":
            tickets.cancel(user, ticket, now, f"{rnd.name}撤回该点位的测评结果：{reason}")
            voided.append(ticket)
    for result in results:
        db.session.delete(result)
    rs.status, rs.submitted_at, rs.submitted_by, rs.score, rs.deducted = "assigned", None, None, None, None
    rs.idempotency_key = rs.fingerprint = None
    rs.release_units()  # the site's units now until it is scored again (a correction made meanwhile applies)
    db.session.flush()
    detail = f"原得分{score:g}分；原因：{reason}" + (f"；作废整改任务{'、'.join(t.number for t in voided)}"
                                                  if voided else "")
    trail.record("assessment", "withdraw", f"{rnd.name} · {rs.site.code} {rs.site.name}", detail, now=now)
    return rs, voided


def results_of(rs: RoundSite) -> list[Result]:
    return list(db.session.scalars(select(Result).where(Result.round_site_id == rs.id).order_by(Result.id)))


def unit_round_sites(user, territory: bool | frozenset[int] = False) -> list[RoundSite]:
    """A unit's sites in every round (those it answered for in that round, or where a finding is charged to it now:
    round_site_scope; with `territory`, those of any unit of its 辖区), newest round first: those scored, and all of
    a closed round's."""
    if not has_role(user, UNITS):
        return []
    query = (select(RoundSite).join(Site, Site.id == RoundSite.site_id).join(Round, Round.id == RoundSite.round_id)
             .where(round_site_scope(user, territory), shown_to_units())
             .order_by(Round.created_at.desc(), Round.id.desc(), RoundSite.site_code))
    return list(db.session.scalars(query))


def roles_of(unit_id: int, rs: RoundSite) -> list[str]:
    """The roles `unit_id` held at the drawn site in its round."""
    return [role for role, held in rs.unit_ids.items() if held == unit_id]
