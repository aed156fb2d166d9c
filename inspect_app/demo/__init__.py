"""The demo city: reference data (seed.py), six weeks of activity (activity.py), assessment rounds
(assessment.py), reports from outside (outside.py), the year's key tasks (keytasks.py), the residents'
questionnaires (surveys.py) and the inspectors' check-ins (patrols.py). `load` runs them in order, one transaction
each, for both `python run.py --demo` and `flask seed-demo`.

The replay's escalation sweeps run inside activity.py's six weeks; the 测评 rounds' findings and the outside reports
(上级测评反馈, 门前四包, 12345) are written after them. So once every ticket is written, the sweep runs once more as of
`now`, as the scheduler would: every problem the rules propose for 督办 has its 督办建议, those written last too."""
from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


def load(now: datetime, password: str, activity: bool = True, say: Callable[[str], None] = print) -> None:
    from ..boundary import transaction
    from .seed import seed_demo

    with transaction():
        added = seed_demo(now, password)
    say(f"已加载演示城市：新增单位 {added['units']} 个，路段 {added['segments']} 条，问题类别 {added['categories']} 个，"
        f"账号 {added['users']} 个，测评点位 {added['sites']} 个，测评项目 {added['checklist_items']} 项，"
        f"专项行动 {added['campaigns']} 个。")
    if not activity:
        return
    from .activity import seed_activity, summary_line
    from .assessment import seed_rounds
    from .outside import seed_outside
    from .outside import summary_line as outside_line

    with transaction():
        replayed = seed_activity(now)
        say(summary_line(replayed))
    with transaction():
        rounds = seed_rounds(now)
    say(f"测评轮次 {rounds['rounds']} 轮，生成整改任务 {rounds['tickets']} 项。")
    with transaction():
        outside = seed_outside(now)
        say(outside_line(outside))
    if replayed["tickets"] or rounds["tickets"] or outside["frontages"]:
        from ..escalation.jobs import run_sweep

        run_sweep(now)  # its own transactions, as the scheduler's sweep
    from .keytasks import seed_key_tasks
    from .keytasks import summary_line as tasks_line

    with transaction():
        say(tasks_line(seed_key_tasks(now)))
    from .surveys import seed_surveys
    from .surveys import summary_line as surveys_line

    with transaction():
        say(surveys_line(seed_surveys(now)))
    from .patrols import seed_patrols

    with transaction():
        count = seed_patrols(now)
    say(f"已生成督查员巡查打卡 {count} 次。" if count else "已有巡查打卡记录，未再生成。")
