"""Tags as a role sees them, and sealing of sensitive tags (encrypted at rest).

A person's sensitive tags are stored as ``PersonTag(tag=None, tag_enc=encrypt(code))``: someone
holding a copy of the database learns that a person has *some* sensitive tag, not which one.
Finding everybody with a sensitive tag (服务找人) decrypts the sealed rows of the subtree, a few
microseconds each; there is deliberately no blind index, which would group the people who share
a tag.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet

from zhili.core.crypto import decrypt, encrypt
from zhili.residents.fields import Level, level
from zhili.residents.models import Person, PersonTag, Tag

SEAL_BATCH = 1000


def role_sees_tag(role: str, tag: Tag) -> bool:
    if level(role, "tags") != Level.PLAIN:
        return False
    if tag.sensitive:
        return role in (tag.visible_roles or [])
    return not tag.visible_roles or role in tag.visible_roles


def tag_visible(tag: Tag, roles: Iterable[str]) -> bool:
    return any(role_sees_tag(role, tag) for role in roles)


def visible_tag_set(roles: Iterable[str]) -> list[Tag]:
    """Every tag (in use or not) that one of ``roles`` may see, by code."""
    roles = list(roles)
    return [tag for tag in Tag.objects.order_by("code") if tag_visible(tag, roles)]


def tags_by_person(person_ids: Iterable[int], *, with_sealed: bool = True) -> dict[int, list[Tag]]:
    """All tags of these persons, sealed ones decrypted (callers filter by what the viewer may see)."""
    ids = list(person_ids)
    found: dict[int, list[Tag]] = defaultdict(list)
    if not ids:
        return found
    tags = {tag.pk: tag for tag in Tag.objects.all()}
    by_code = {tag.code: tag for tag in tags.values()}
    rows = PersonTag.objects.filter(person_id__in=ids).values_list("person_id", "tag_id", "tag_enc")
    if not with_sealed:
        rows = rows.filter(tag__isnull=False)
    for person_id, tag_id, tag_enc in rows:
        tag = tags.get(tag_id) if tag_id else by_code.get(decrypt(tag_enc))
        if tag is not None:
            found[person_id].append(tag)
    for person_tags in found.values():
        person_tags.sort(key=lambda t: t.code)
    return found


def person_tags(person: Person) -> list[Tag]:
    return tags_by_person([person.pk]).get(person.pk, [])


def new_person_tag(person_id: int, tag: Tag) -> PersonTag:
    """The row to store for ``tag``: sealed when the tag is sensitive."""
    if tag.sensitive:
        return PersonTag(person_id=person_id, tag=None, tag_enc=encrypt(tag.code))
    return PersonTag(person_id=person_id, tag=tag, tag_enc="")


def persons_with_tag(persons: QuerySet[Person], tag: Tag) -> QuerySet[Person]:
    """The persons of ``persons`` (already scoped by the caller) who carry ``tag``."""
    if not tag.sensitive:
        return persons.filter(persontag__tag=tag)
    sealed = PersonTag.objects.filter(tag__isnull=True, person__in=persons).values_list(
        "person_id", "tag_enc"
    )
    ids = [person_id for person_id, token in sealed.iterator(chunk_size=2000) if decrypt(token) == tag.code]
    # Plain rows of a sensitive tag exist only until the next seal; count them too.
    plain = persons.filter(persontag__tag=tag).values_list("pk", flat=True)
    return persons.filter(pk__in=set(ids) | set(plain))


def seal_sensitive_tags(*, batch: int = SEAL_BATCH) -> int:
    """Turn plain rows of sensitive tags into sealed ones (bulk loaders write plain rows). Idempotent."""
    codes = dict(Tag.objects.filter(sensitive=True).values_list("pk", "code"))
    sealed = 0
    while codes:
        with transaction.atomic():
            rows = list(
                PersonTag.objects.select_for_update()
                .filter(tag_id__in=list(codes))
                .order_by("pk")
                .values_list("pk", "tag_id")[:batch]
            )
            if not rows:
                break
            PersonTag.objects.bulk_update(
                [PersonTag(pk=pk, tag=None, tag_enc=encrypt(codes[tag_id])) for pk, tag_id in rows],
                ["tag", "tag_enc"],
            )
            sealed += len(rows)
    return sealed


def unseal_tag(tag: Tag) -> int:
    """Store the sealed rows of ``tag`` in plain (the tag is no longer sensitive)."""
    count = 0
    with transaction.atomic():
        for pk, token in (
            PersonTag.objects.select_for_update().filter(tag__isnull=True).values_list("pk", "tag_enc")
        ):
            if decrypt(token) == tag.code:
                PersonTag.objects.filter(pk=pk).update(tag=tag, tag_enc="")
                count += 1
    return count
