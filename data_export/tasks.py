"""django-q2 tasks of data exports: IDs in, safe to run twice, errors raised so the queue retries."""

from data_export import services


def build_export(export_id: str) -> str | None:
    export = services.export_build(export_id=export_id)
    return export.status if export is not None else None


def expire_exports() -> int:
    return services.exports_expire()
