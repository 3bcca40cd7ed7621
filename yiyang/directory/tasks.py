"""The directory's background work: service lists for a whole region (``servicelists``)."""

from __future__ import annotations

from typing import Any

from django_tasks import task


@task()
def service_lists_batch(*, batch_id: str) -> dict[str, Any]:
    from yiyang.directory import servicelists

    batch = servicelists.service_list_batch_run(batch_id)
    return {"created": batch.created, "done": batch.done}
