"""Files and images attached to a contact: streamed to disk under generated names, checked by content, thumbnailed."""

from __future__ import annotations

import contextlib
import os
import re
import unicodedata
import uuid
import warnings
import zipfile
from pathlib import Path
from typing import BinaryIO

from PIL import Image, ImageOps
from sqlalchemy import event
from sqlalchemy.orm import SessionTransaction
from sqlmodel import Session, select

from crm_app.contacts.events import ContactDeleting
from crm_app.contacts.models import Contact
from crm_app.core import audit, events
from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.timeutil import as_utc, utcnow
from crm_app.feed.models import Attachment
from crm_app.feed.schemas import AttachmentRead
from crm_app.settings import settings

MAX_IMAGE_PIXELS = 40_000_000
Image.MAX_IMAGE_PIXELS = MAX_IMAGE_PIXELS
CHUNK = 64 * 1024
SNIFF_BYTES = 8 * 1024
THUMB_SIZE = 320
MAX_NAME_CHARS = 200
MAX_ZIP_ENTRIES = 10_000
MAX_FILES_PER_UPLOAD = 20

IMAGE_TYPES = ("image/jpeg", "image/png", "image/gif", "image/webp")
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXTENSIONS: dict[str, tuple[str, ...]] = {
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "image/gif": (".gif",),
    "image/webp": (".webp",),
    "application/pdf": (".pdf",),
    "text/plain": (".txt", ".text", ".log", ".md"),
    "text/csv": (".csv",),
    DOCX: (".docx",),
    XLSX: (".xlsx",),
}
ACCEPTED = "JPEG, PNG, GIF or WebP images, PDF, plain text or CSV, Word (.docx) or Excel (.xlsx)"
_STORED_NAME = re.compile(r"[0-9a-f]{32}")
_SVG = re.compile(rb"<svg[\s>/]|<!doctype\s+svg", re.IGNORECASE)


def display_name(value: object) -> str:
    """The user's file name made safe to show: no folders, NUL or control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", value if isinstance(value, str) else "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch) not in ("Cc", "Cf", "Cs", "Zl", "Zp"))
    name = name.strip().lstrip(".").strip()
    if len(name) > MAX_NAME_CHARS:
        stem, dot, ext = name.rpartition(".")
        if dot and stem and 0 < len(ext) <= 10:
            name = stem[: MAX_NAME_CHARS - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:MAX_NAME_CHARS].rstrip()
    return name or "file"


def _with_extension(name: str, content_type: str) -> str:
    allowed = EXTENSIONS[content_type]
    if name.lower().endswith(allowed):
        return name
    fixed = name + allowed[0]
    if len(fixed) > MAX_NAME_CHARS:
        fixed = name[: MAX_NAME_CHARS - len(allowed[0])] + allowed[0]
    return fixed


def _refuse(message: str) -> ValidationError:
    return ValidationError(message, field="file")


def sniff(head: bytes, name: str) -> str:
    """The content type read from the file's first bytes; refuses anything outside the allow-list."""
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"PK\x03\x04"):
        return "application/zip"
    if _SVG.search(head):
        raise _refuse("SVG images are not accepted: they can carry scripts. Send a PNG or JPEG instead.")
    if head and _is_text(head):
        return "text/csv" if name.lower().endswith(".csv") else "text/plain"
    raise _refuse(f"This type of file is not accepted. Accepted: {ACCEPTED}.")


def _is_text(head: bytes) -> bool:
    if b"\x00" in head:
        return False
    try:
        text = head.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(head) - 3:  # a character cut at the end of the sample is fine
            try:
                text = head.decode("cp1252")
            except UnicodeDecodeError:
                return False
        else:
            text = head[: error.start].decode("utf-8")
    controls = sum(1 for ch in text if ord(ch) < 32 and ch not in "\t\r\n\f")
    return controls <= len(text) // 100


def _office_type(path: Path) -> str:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_ZIP_ENTRIES:
                raise _refuse("This document holds too many parts to be accepted.")
            names = {info.filename for info in infos}
    except zipfile.BadZipFile:
        raise _refuse("This zip file is damaged or not a Word/Excel document.") from None
    if any(name.lower().endswith("vbaproject.bin") for name in names):
        raise _refuse("Documents with macros are not accepted.")
    if "[Content_Types].xml" in names and "word/document.xml" in names:
        return DOCX
    if "[Content_Types].xml" in names and "xl/workbook.xml" in names:
        return XLSX
    raise _refuse(f"Among zip files only Word (.docx) and Excel (.xlsx) documents are accepted. Accepted: {ACCEPTED}.")


def _check_image(path: Path) -> tuple[int, int]:
    """Read the image's size from its header (no decoding) and refuse it above the pixel cap."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                width, height = image.size
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _refuse(_too_many_pixels_message(path)) from None
    except Exception:
        raise _refuse("This image could not be read; it may be damaged.") from None
    if width * height > MAX_IMAGE_PIXELS:
        raise _refuse(_too_many_pixels_message(path, (width, height)))
    return width, height


def _too_many_pixels_message(path: Path, size: tuple[int, int] | None = None) -> str:
    if size is None:
        with contextlib.suppress(Exception), open(path, "rb") as handle:
            head = handle.read(32)
            if head.startswith(b"\x89PNG\r\n\x1a\n"):
                size = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
    dims = f" ({size[0]:,}×{size[1]:,} pixels)" if size else ""
    return f"This image is too large{dims}: at most {MAX_IMAGE_PIXELS // 1_000_000} megapixels are accepted."


def _make_thumbnail(path: Path, thumb: Path) -> None:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.format == "JPEG":
                    image.draft("RGB", (THUMB_SIZE * 2, THUMB_SIZE * 2))
                image.seek(0)
                frame = ImageOps.exif_transpose(image) or image
                frame.thumbnail((THUMB_SIZE, THUMB_SIZE))
                has_alpha = frame.mode in ("RGBA", "LA", "PA") or "transparency" in frame.info
                with open(thumb, "xb") as out:
                    if has_alpha:
                        frame.convert("RGBA").save(out, format="PNG", optimize=True)
                    else:
                        frame.convert("RGB").save(out, format="JPEG", quality=85)
    except ValidationError:
        raise
    except Exception:
        raise _refuse("This image could not be read; it may be damaged.") from None


def _upload_dir() -> Path:
    folder = Path(settings.upload_dir)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _limit_text(max_bytes: int) -> str:
    mb = max_bytes / (1024 * 1024)
    return f"{mb:g} MB" if mb >= 1 else f"{max_bytes:,} bytes"


def _paths(stored_name: str) -> tuple[Path, Path]:
    if not _STORED_NAME.fullmatch(stored_name or ""):
        raise NotFoundError("This file does not exist.")
    folder = Path(settings.upload_dir)
    return folder / stored_name, folder / f"{stored_name}.thumb"


def _attachment_read(row: Attachment) -> AttachmentRead:
    return AttachmentRead(
        id=row.id,
        contact_id=row.contact_id,
        original_name=row.original_name,
        content_type=row.content_type,
        size=row.size,
        width=row.width,
        height=row.height,
        has_thumbnail=row.has_thumbnail,
        created_at=as_utc(row.created_at),
    )


def store_upload(
    session: Session,
    *,
    contact_id: int,
    filename: object,
    stream: BinaryIO,
    actor_id: int | None,
    max_bytes: int | None = None,
) -> AttachmentRead:
    """Stream an upload to disk in chunks (stopping at the limit), check its content, thumbnail images, record it.

    Nothing is left on disk when the file is refused.
    """
    if session.get(Contact, int(contact_id)) is None:
        raise NotFoundError("This contact does not exist.")
    limit = int(max_bytes if max_bytes is not None else settings.max_upload_mb * 1024 * 1024)
    name = display_name(filename)
    stored_name = uuid.uuid4().hex
    final, thumb = _paths(stored_name)
    partial = _upload_dir() / f"{stored_name}.part"
    try:
        size, content_type = _receive(stream, partial, name, limit)
        os.replace(partial, final)
        width = height = None
        if content_type == "application/zip":
            content_type = _office_type(final)
        if content_type in IMAGE_TYPES:
            width, height = _check_image(final)
            _make_thumbnail(final, thumb)
        row = Attachment(
            contact_id=int(contact_id),
            stored_name=stored_name,
            original_name=_with_extension(name, content_type),
            content_type=content_type,
            size=size,
            width=width,
            height=height,
            has_thumbnail=thumb.exists(),
            uploaded_by_id=actor_id,
        )
        session.add(row)
        session.flush()
        audit.record(
            session,
            actor_id=actor_id,
            entity="attachment",
            entity_id=row.id,
            contact_id=row.contact_id,
            kind="file_added",
            new=row.original_name,
        )
        session.flush()
    except BaseException:
        for path in (partial, final, thumb):
            path.unlink(missing_ok=True)
        raise
    return _attachment_read(row)


def _receive(stream: BinaryIO, partial: Path, name: str, limit: int) -> tuple[int, str]:
    """Copy the stream into ``partial`` chunk by chunk; sniff the type from the first bytes."""
    size = 0
    head = b""
    content_type = ""
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while True:
            chunk = stream.read(CHUNK)
            if not chunk:
                break
            size += len(chunk)
            if size > limit:
                raise _refuse(f"This file is larger than the {_limit_text(limit)} limit.")
            if not content_type:
                head += chunk
                if len(head) >= SNIFF_BYTES:
                    content_type = sniff(head[:SNIFF_BYTES], name)
            out.write(chunk)
    if size == 0:
        raise _refuse("This file is empty.")
    return size, content_type or sniff(head, name)


def _live(session: Session, attachment_id: int) -> Attachment:
    try:
        row = session.get(Attachment, int(attachment_id))
    except (TypeError, ValueError):
        row = None
    if row is None or row.deleted_at is not None:
        raise NotFoundError("This file does not exist.")
    return row


def get_attachment(session: Session, *, attachment_id: int) -> AttachmentRead:
    """One stored file's details (not deleted)."""
    return _attachment_read(_live(session, attachment_id))


def open_attachment(session: Session, *, attachment_id: int, thumbnail: bool = False) -> tuple[Path, str, str]:
    """Where a stored file (or its thumbnail) is on disk, its content type and the name to download it as."""
    row = _live(session, attachment_id)
    path, thumb = _paths(row.stored_name)
    if thumbnail:
        if not row.has_thumbnail or not thumb.is_file():
            raise NotFoundError("This file has no preview.")
        with open(thumb, "rb") as handle:
            is_png = handle.read(8) == b"\x89PNG\r\n\x1a\n"
        stem = row.original_name.rsplit(".", 1)[0] or "file"
        return thumb, ("image/png" if is_png else "image/jpeg"), f"{stem}-preview.{'png' if is_png else 'jpg'}"
    if not path.is_file():
        raise NotFoundError("This file does not exist.")
    return path, row.content_type, row.original_name


def delete_attachment(session: Session, *, attachment_id: int, actor_id: int | None) -> None:
    """Delete a file: its bytes are removed, the feed keeps a line saying who deleted it."""
    row = _live(session, attachment_id)
    row.deleted_at = utcnow()
    session.add(row)
    audit.record(
        session,
        actor_id=actor_id,
        entity="attachment",
        entity_id=row.id,
        contact_id=row.contact_id,
        kind="file_deleted",
        old=row.original_name,
    )
    session.flush()
    for path in _paths(row.stored_name):
        path.unlink(missing_ok=True)


def _remove_contact_files(session: Session, deleting: ContactDeleting) -> None:
    """A contact is being deleted: its stored files go once the deletion has committed."""
    names = session.exec(select(Attachment.stored_name).where(Attachment.contact_id.in_(deleting.contact_ids))).all()
    remove_files_after_commit(session, stored_names=list(names))


def remove_files_after_commit(session: Session, *, stored_names: list[str]) -> None:
    """Unlink these stored files and their thumbnails once the session's transaction commits (kept on rollback)."""
    pending = [name for name in stored_names if _STORED_NAME.fullmatch(name or "")]
    if not pending:
        return

    def unlink(committed: Session) -> None:
        if committed.in_nested_transaction():  # a savepoint was released; the transaction goes on
            return
        while pending:
            for path in _paths(pending.pop()):
                path.unlink(missing_ok=True)

    def forget(_session: Session, transaction: SessionTransaction) -> None:
        if transaction.parent is None:
            pending.clear()

    event.listen(session, "after_commit", unlink)
    event.listen(session, "after_transaction_end", forget)


events.on(ContactDeleting, _remove_contact_files)
