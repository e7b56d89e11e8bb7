"""Demo data of surveys: one open survey of the demo resident's community with a few hundred answers,
and last year's edition of it, closed, with its results published to the residents (信息公开).

The survey is written and published through the actions (audit rows included). The answers of
the other residents are bulk inserted, the same documented exception as the demo region and the
demo election: one generated data set, not hundreds of audit rows; those residents have no demo
login, so their participations carry no user. The demo resident ("jumin") has not answered, so
logging in as jumin shows the survey waiting on "My surveys".

Contents follow from the seed; times are relative to now (the survey is open when the demo runs,
last year's closed a year ago).
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhili.participation.elections.demo import _community, _official
from zhili.participation.elections.models import ResidentAccount
from zhili.participation.surveys import actions
from zhili.participation.surveys.audience import audience_persons
from zhili.participation.surveys.models import Answer, Participation, Response, Survey
from zhili.territory.models import NodeKind

TITLE = "2026年社区环境与服务满意度调查"
DESCRIPTION = (
    "为了解居民对社区环境和服务的意见，社区居委会开展本次调查。问卷匿名填写，约需3分钟。"
    "调查结果将在社区公示栏和本平台公布，并作为下一年度民生实事项目的依据。"
)
PAST_TITLE = "2025年社区环境与服务满意度调查"
PAST_DESCRIPTION = (
    "为了解居民对社区环境和服务的意见，社区居委会开展本次调查。问卷匿名填写，约需3分钟。"
    "调查结果将在社区公示栏和本平台公布。"
)
PAST_OPENED_DAYS_AGO = 365
PAST_OPEN_DAYS = 14
RESPONSES = 320
BATCH_SIZE = 1000
CONCERNS = ["停车难", "垃圾分类", "加装电梯", "噪音扰民", "绿化不足"]
ELEVATOR = ["支持", "不支持", "无所谓"]
REASONS = ["影响低层采光", "费用分摊不合理", "施工噪音", "其他"]
PRIORITIES = ["老年食堂", "四点半课堂", "健身设施", "新增停车位"]
COMMENTS = (
    "晚上小区里停车太难了，希望能规划更多停车位。",
    "停车位太少，外来车辆也停进来，建议加强管理。",
    "希望增加停车位，消防通道经常被占。",
    "垃圾分类点太远，老人扔垃圾不方便。",
    "垃圾桶周边卫生差，夏天气味大，希望及时清运。",
    "垃圾分类督导员很负责，希望继续保持。",
    "希望尽快给老楼加装电梯，爬楼太辛苦了。",
    "加装电梯的费用怎么分摊希望社区出面协调。",
    "广场舞音乐太吵，晚上九点以后希望安静。",
    "楼下商铺晚上噪音大，影响休息。",
    "希望多种些树，增加绿化和休息的座椅。",
    "小区绿化带被占用种菜，希望整治。",
    "希望办一个老年食堂，方便独居老人吃饭。",
    "社区工作人员服务态度很好，点赞！",
    "路灯坏了好久没人修，晚上走路不安全。",
    "希望小区门口增加监控，加强安全。",
    "健身器材老化了，希望更换。",
    "快递堆放在楼道里，影响通行。",
)


def _pick_weighted(rng: random.Random, weights: list[int]) -> int:
    return rng.choices(range(len(weights)), weights=weights)[0]


def _answers(rng: random.Random, questions: dict[str, Any], grid_bias: int) -> dict[int, Any]:
    """One resident's answers: plausible, with some grids more bothered by parking than others."""
    q = questions
    out: dict[int, Any] = {}
    out[q["satisfaction"].pk] = _pick_weighted(rng, [4, 9, 22, 40, 25]) + 1
    concern_weights = [30 + 20 * grid_bias, 22, 18, 12, 10]
    out[q["concern"].pk] = _pick_weighted(rng, concern_weights)
    elevator = _pick_weighted(rng, [58, 24, 18])
    out[q["elevator"].pk] = elevator
    if elevator == 1:
        reasons = rng.sample(range(len(REASONS)), rng.choice([1, 1, 2]))
        out[q["reasons"].pk] = sorted(reasons)
    order = list(range(len(PRIORITIES)))
    rng.shuffle(order)
    if rng.random() < 0.5:  # 老年食堂 tends to come first
        order.remove(0)
        order.insert(0, 0)
    out[q["priorities"].pk] = order
    out[q["service"].pk] = _pick_weighted(rng, [3, 6, 20, 41, 30]) + 1
    if rng.random() < 0.45:
        out[q["comment"].pk] = rng.choice(COMMENTS)
    return out


def _build_questions(survey: Survey, actor: Any) -> dict[str, Any]:
    env = actions.do_add_section(survey, title="一、居住环境", actor=actor)
    services = actions.do_add_section(survey, title="二、社区服务", actor=actor)
    q: dict[str, Any] = {}
    q["satisfaction"] = actions.do_add_question(
        survey,
        actor=actor,
        kind="scale",
        text="您对小区整体居住环境的满意度",
        scale_min=1,
        scale_max=5,
        scale_min_label="很不满意",
        scale_max_label="很满意",
        section=env,
    )
    q["concern"] = actions.do_add_question(
        survey, actor=actor, kind="single", text="您目前最关心的问题是", options=CONCERNS, section=env
    )
    q["elevator"] = actions.do_add_question(
        survey, actor=actor, kind="single", text="您是否支持老旧楼栋加装电梯", options=ELEVATOR, section=env
    )
    q["reasons"] = actions.do_add_question(
        survey,
        actor=actor,
        kind="multiple",
        text="不支持加装电梯的主要原因（最多选两项）",
        options=REASONS,
        min_choices=1,
        max_choices=2,
        condition_question=q["elevator"],
        condition_values=[1],
        section=env,
    )
    q["priorities"] = actions.do_add_question(
        survey,
        actor=actor,
        kind="ranking",
        text="请按您认为的重要程度，为明年的民生实事项目排序",
        options=PRIORITIES,
        section=services,
    )
    q["service"] = actions.do_add_question(
        survey,
        actor=actor,
        kind="scale",
        text="您对社区工作人员服务的满意度",
        scale_min=1,
        scale_max=5,
        scale_min_label="很不满意",
        scale_max_label="很满意",
        section=services,
    )
    q["comment"] = actions.do_add_question(
        survey,
        actor=actor,
        kind="text",
        text="您对社区还有哪些意见和建议？",
        required=False,
        max_length=300,
        section=services,
    )
    return q


def _fill(survey: Survey, questions: dict[str, Any], rng: random.Random, *, start: Any, days: int) -> None:
    """Bulk insert the answers of a sample of the audience, given over ``days`` days from ``start``."""
    from zhili.participation.surveys import rules

    linked = set(ResidentAccount.objects.values_list("person_id", flat=True))
    persons = [
        p
        for p in audience_persons(survey).select_related("household__building__grid__parent").order_by("pk")
        if p.pk not in linked  # the demo resident answers in the demo
    ]
    chosen = rng.sample(persons, min(RESPONSES, len(persons)))
    grids = sorted({p.household.building.grid_id for p in chosen})
    bias = {grid: i % 3 for i, grid in enumerate(grids)}
    participations, responses, answers = [], [], []
    specs = actions.question_specs(questions.values())
    by_id = {q.pk: q for q in questions.values()}
    for person in chosen:
        grid = person.household.building.grid
        raw = _answers(rng, questions, bias[grid.pk])
        cleaned, errors = rules.clean_answers(sorted(specs, key=lambda s: by_id[s.id].position), raw)
        if errors:  # pragma: no cover - the generator writes valid answers
            raise ValueError(f"demo answers do not validate: {errors}")
        when = start + timedelta(days=rng.uniform(0, days))
        participations.append(Participation(survey=survey, person=person, user=None, responded_at=when))
        response = Response(
            survey=survey,
            grid=grid,
            community=grid.parent if grid.parent and grid.parent.kind == NodeKind.COMMUNITY else None,
            submitted_on=timezone.localdate(when),
        )
        responses.append(response)
        for qid, value in cleaned.items():
            row = actions._answer_row(by_id[qid], value)
            row.response = response
            answers.append(row)
    # Shuffled apart, as the real thing keeps no link between who and what.
    rng.shuffle(responses)
    Participation.objects.bulk_create(participations, batch_size=BATCH_SIZE)
    Response.objects.bulk_create(responses, batch_size=BATCH_SIZE)
    Answer.objects.bulk_create(answers, batch_size=BATCH_SIZE)


def load_past_survey(seed: int) -> Survey:
    """Create (once) last year's edition of the survey: closed, its results published to residents.

    The demo resident finds the published results on "My surveys" (signing in as jumin).
    """
    community = _community()
    existing = Survey.objects.filter(node=community, title=PAST_TITLE).first()
    if existing is not None:
        return existing
    official = _official(community)
    rng = random.Random(f"zhili-demo-past-survey:{seed}")
    now = timezone.now()
    opened = now - timedelta(days=PAST_OPENED_DAYS_AGO)
    with transaction.atomic():
        survey = actions.do_create_survey(
            node=community,
            title=PAST_TITLE,
            description=PAST_DESCRIPTION,
            anonymous=True,
            opens_at=opened,
            closes_at=opened + timedelta(days=PAST_OPEN_DAYS),
            min_age=16,
            actor=official,
        )
        questions = _build_questions(survey, official)
        actions.do_publish_survey(survey, actor=official, now=opened)
        _fill(survey, questions, rng, start=opened, days=PAST_OPEN_DAYS)
        closed = opened + timedelta(days=PAST_OPEN_DAYS)
        actions.do_close_survey(survey, actor=official, now=closed)
        actions.do_publish_survey_results(survey, actor=official, now=closed + timedelta(days=7))
    survey.refresh_from_db()
    return survey


def load_demo(seed: int) -> Survey:
    """Create (once) the open demo survey with its answers, and last year's closed one with its
    results published; returns the open one. Needs the demo region."""
    load_past_survey(seed)
    community = _community()
    existing = Survey.objects.filter(node=community, title=TITLE).first()
    if existing is not None:
        return existing
    official = _official(community)
    rng = random.Random(f"zhili-demo-survey:{seed}")
    now = timezone.now()
    with transaction.atomic():
        survey = actions.do_create_survey(
            node=community,
            title=TITLE,
            description=DESCRIPTION,
            anonymous=True,
            opens_at=now - timedelta(days=6),
            closes_at=now + timedelta(days=14),
            min_age=16,
            actor=official,
        )
        questions = _build_questions(survey, official)
        actions.do_publish_survey(survey, actor=official, now=now - timedelta(days=6))
        _fill(survey, questions, rng, start=now - timedelta(days=6), days=6)
    survey.refresh_from_db()
    return survey
