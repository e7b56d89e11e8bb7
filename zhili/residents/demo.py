"""Registry extras for the demo region: house information, grid workers' visits, sealed tags.

``load_demo_visits(seed)`` runs after the demo loader has bulk-inserted buildings, households and
residents (zhili.demo.actions). It is one action with one audit row, like the loader itself, and
is safe to run twice (a second run finds the visits there and does nothing).
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhili.accounts.models import Membership
from zhili.accounts.roles import Role
from zhili.audit.actions import record_audit
from zhili.audit.models import AuditAction
from zhili.residents.models import HouseholdInfo, HouseUse, PersonTag, Tag, Tenure, Visit, VisitKind
from zhili.residents.tags import seal_sensitive_tags
from zhili.territory.models import Household

# Households with someone in these groups get care visits; others an occasional routine one.
CARE_TAGS = ("elderly_alone", "elderly_80", "disabled", "left_behind_child", "dibao", "tekun")
CARE_NOTES = [
    "上门看望，老人身体状况良好，生活能自理。",
    "入户走访，了解近期就医情况，提醒按时服药。",
    "检查燃气、用电安全，未发现隐患。",
    "协助办理高龄津贴申领，材料已收齐。",
    "天气转凉，提醒注意保暖，留下网格员联系电话。",
    "老人反映楼道灯不亮，已上报物业处理。",
    "与子女电话沟通，子女每周回来一次。",
    "了解低保家庭近况，收入无明显变化。",
]
ROUTINE_NOTES = [
    "日常走访，核对家庭成员信息，无变化。",
    "宣传垃圾分类，发放宣传资料。",
    "核实租住人员信息，已登记。",
    "反诈宣传，提醒勿接陌生来电。",
    "",
]


def _floor_of(number: str) -> int | None:
    """'2-301' → 3, '1单元502' → 5: the floor is the room number's hundreds."""
    digits = "".join(ch if ch.isdigit() else " " for ch in number).split()
    if not digits:
        return None
    room = int(digits[-1])
    return room // 100 if room >= 100 else None


def load_demo_visits(seed: int = 1, *, actor: Any = None, care_share: float = 1.0) -> dict[str, int]:
    rng = random.Random(seed)
    if Visit.objects.exists():
        return {"visits": 0, "house_info": 0, "sealed_tags": seal_sensitive_tags()}
    now = timezone.now()
    care_codes = set(CARE_TAGS)
    care_tag_ids = set(Tag.objects.filter(code__in=care_codes).values_list("pk", flat=True))
    with transaction.atomic():
        sealed = seal_sensitive_tags()
        # Sealed rows have no tag id; any sealed row marks a household for care visits as well.
        care_persons: dict[int, list[int]] = {}
        for person_id, household_id, tag_id in PersonTag.objects.values_list(
            "person_id", "person__household_id", "tag_id"
        ):
            if tag_id is None or tag_id in care_tag_ids:
                care_persons.setdefault(household_id, []).append(person_id)
        workers: dict[int, list[Any]] = {}
        for membership in Membership.objects.filter(role=Role.GRID_WORKER, active=True).select_related(
            "user"
        ):
            workers.setdefault(membership.node_id, []).append(membership.user)
        households = list(Household.objects.select_related("building").order_by("pk"))
        infos = []
        visits = []
        for household in households:
            floor = _floor_of(household.number)
            infos.append(
                HouseholdInfo(
                    household=household,
                    floor=floor,
                    area=Decimal(rng.randrange(4500, 14000)) / 100,
                    use=HouseUse.RESIDENTIAL,
                    tenure=Tenure.OWNER if rng.random() < 0.78 else Tenure.TENANT,
                )
            )
            grid_workers = workers.get(household.building.grid_id, [])
            members = care_persons.get(household.pk)
            if members and rng.random() < care_share:
                count = rng.randint(1, 3)
                kinds, notes = (VisitKind.CARE, CARE_NOTES)
            elif rng.random() < 0.12:
                count, kinds, notes, members = 1, VisitKind.ROUTINE, ROUTINE_NOTES, None
            else:
                continue
            for _ in range(count):
                visits.append(
                    Visit(
                        household=household,
                        person_id=rng.choice(members) if members else None,
                        visitor=rng.choice(grid_workers) if grid_workers else None,
                        visited_at=now - timedelta(days=rng.randint(1, 120), minutes=rng.randint(0, 600)),
                        kind=kinds,
                        note=rng.choice(notes),
                    )
                )
        HouseholdInfo.objects.bulk_create(infos, batch_size=1000, ignore_conflicts=True)
        Visit.objects.bulk_create(visits, batch_size=1000)
        counts = {"visits": len(visits), "house_info": len(infos), "sealed_tags": sealed}
        record_audit(
            AuditAction.DEMO_LOADED, actor=actor, details={"part": "residents", "seed": seed, **counts}
        )
    return counts


def load_demo_correction(seed: int = 1) -> int:
    """One correction waiting for 朝阳社区's staff: the demo resident (``jumin``) asks to correct
    their mobile number, so the decision page shows the registered value beside the new one.
    Returns how many were filed (0 when there is one already or the resident has no record)."""
    from zhili.accounts.models import User
    from zhili.residents.actions import do_request_correction
    from zhili.residents.models import CorrectionRequest
    from zhili.residents.own import own_person

    user = User.objects.filter(username="jumin").first()
    person = own_person(user)
    if person is None or CorrectionRequest.objects.filter(person=person).exists():
        return 0
    rng = random.Random(seed)
    new_mobile = f"139{rng.randrange(10**8):08d}"
    reason = "换了新手机号，旧号已停用。"
    do_request_correction(person, field="mobile", value=new_mobile, reason=reason, actor=user)
    return 1
