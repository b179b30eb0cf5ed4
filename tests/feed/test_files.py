"""Uploads are checked by content, limited in size and pixels, stored under generated names, never trusted."""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pytest
from PIL import Image
from sqlmodel import select

from crm_app.core.errors import NotFoundError, ValidationError
from crm_app.core.models import AuditEntry
from crm_app.feed import files
from crm_app.feed import service as feed_service
from crm_app.feed.models import Attachment
from crm_app.settings import settings
from tests.feed.factories import make_contact, make_user


@pytest.fixture
def upload_dir(tmp_path, monkeypatch):
    folder = tmp_path / "private-files"
    monkeypatch.setattr(settings, "upload_dir", folder)
    return folder


@pytest.fixture
def user(session):
    return make_user(session)


@pytest.fixture
def contact(session, user):
    return make_contact(session, actor_id=user.id)


def image_bytes(fmt: str, size=(800, 600), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, (200, 10, 10) if mode == "RGB" else (200, 10, 10, 128)).save(buffer, format=fmt)
    return buffer.getvalue()


def png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def huge_png_header(width: int = 50_000, height: int = 50_000) -> bytes:
    """A valid PNG header claiming huge dimensions, with a tiny IDAT: nothing large is allocated."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 16))
        + png_chunk(b"IEND", b"")
    )


def office_bytes(part: str, extra: dict[str, bytes] | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<x/>")
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


class EndlessStream:
    """A stream that would yield 2 GB; counts what was actually read."""

    def __init__(self, head: bytes, total: int = 2 * 1024**3):
        self.head, self.total, self.read_bytes = head, total, 0

    def read(self, n: int = -1) -> bytes:
        if self.read_bytes >= self.total:
            return b""
        n = 64 * 1024 if n is None or n < 0 else n
        start = self.read_bytes
        chunk = (self.head[start : start + n] + b"\x00" * n)[:n] if start < len(self.head) else b"\x00" * n
        self.read_bytes += len(chunk)
        return chunk


def _store(session, contact, user, data: bytes, name: str, **kwargs):
    return files.store_upload(
        session, contact_id=contact.id, filename=name, stream=io.BytesIO(data), actor_id=user.id, **kwargs
    )


def _on_disk(folder) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.mark.parametrize(
    ("fmt", "content_type", "thumb_magic"),
    [
        ("JPEG", "image/jpeg", b"\xff\xd8\xff"),
        ("PNG", "image/png", b"\xff\xd8\xff"),
        ("GIF", "image/gif", b"\xff\xd8\xff"),
        ("WEBP", "image/webp", b"\xff\xd8\xff"),
    ],
)
def test_images_are_stored_under_a_generated_name_with_a_thumbnail(
    session, upload_dir, user, contact, fmt, content_type, thumb_magic
):
    read = _store(session, contact, user, image_bytes(fmt), "../../etc/holiday." + fmt.lower())
    row = session.get(Attachment, read.id)
    assert read.content_type == content_type and (read.width, read.height) == (800, 600)
    assert read.has_thumbnail
    assert row.stored_name != read.original_name and len(row.stored_name) == 32
    assert "/" not in read.original_name and ".." not in read.original_name
    assert _on_disk(upload_dir) == sorted([row.stored_name, row.stored_name + ".thumb"])
    path, ctype, name = files.open_attachment(session, attachment_id=read.id, thumbnail=True)
    with Image.open(path) as thumb:
        assert max(thumb.size) == 320
    assert path.read_bytes().startswith(thumb_magic) and ctype == "image/jpeg"
    path, ctype, name = files.open_attachment(session, attachment_id=read.id)
    assert path.parent == upload_dir and ctype == content_type and name == read.original_name


def test_a_transparent_image_gets_a_png_thumbnail(session, upload_dir, user, contact):
    read = _store(session, contact, user, image_bytes("PNG", mode="RGBA"), "logo.png")
    path, ctype, _name = files.open_attachment(session, attachment_id=read.id, thumbnail=True)
    assert ctype == "image/png" and path.read_bytes().startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("data", "name", "content_type"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "invoice.pdf", "application/pdf"),
        ("name;city\nÉlise;Paris\n".encode(), "list.csv", "text/csv"),
        (b"Plain notes\r\nline two\n", "notes.txt", "text/plain"),
        (office_bytes("word/document.xml"), "letter.docx", files.DOCX),
        (office_bytes("xl/workbook.xml"), "sheet.xlsx", files.XLSX),
    ],
)
def test_documents_on_the_allow_list_are_accepted_by_content(
    session, upload_dir, user, contact, data, name, content_type
):
    read = _store(session, contact, user, data, name)
    assert (read.content_type, read.original_name, read.size, read.has_thumbnail) == (
        content_type,
        name,
        len(data),
        False,
    )
    with pytest.raises(NotFoundError):
        files.open_attachment(session, attachment_id=read.id, thumbnail=True)


def test_the_extension_is_never_trusted_a_pdf_named_jpg_keeps_its_real_type(session, upload_dir, user, contact):
    read = _store(session, contact, user, b"%PDF-1.4\n", "photo.jpg")
    assert read.content_type == "application/pdf" and read.original_name == "photo.jpg.pdf"


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00" + b"\x00" * 200, "holiday.jpg", "not accepted"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 100, "report.pdf", "not accepted"),
        (
            b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "logo.png",
            "SVG images are not accepted",
        ),
        (b"<SVG onload=alert(1)>", "pic.txt", "SVG"),
        (huge_png_header(), "huge.png", "too large \\(50,000×50,000 pixels\\): at most 40 megapixels"),
        (b"\xff\xd8\xff\xe0" + b"garbage" * 50, "broken.jpg", "could not be read"),
        (office_bytes("word/document.xml", {"word/vbaProject.bin": b"x"}), "macro.docx", "macros"),
        (office_bytes("content.xml"), "odt.zip", "only Word"),
        (b"", "empty.txt", "empty"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message_and_nothing_left_on_disk(
    session, upload_dir, user, contact, data, name, message
):
    with pytest.raises(ValidationError, match=message) as refused:
        _store(session, contact, user, data, name)
    assert refused.value.field == "file"
    assert _on_disk(upload_dir) == []
    assert session.exec(select(Attachment)).all() == []


def test_the_huge_png_is_refused_from_its_header_without_decoding(session, upload_dir, user, contact, monkeypatch):
    def no_decoding(*_args, **_kwargs):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(files, "_make_thumbnail", no_decoding)
    with pytest.raises(ValidationError, match="too large"):
        _store(session, contact, user, huge_png_header(8000, 6000), "big.png")
    assert _on_disk(upload_dir) == []


def test_a_two_gigabyte_upload_stops_at_the_limit_with_bounded_reading(session, upload_dir, user, contact):
    stream = EndlessStream(image_bytes("JPEG", size=(10, 10)))
    with pytest.raises(ValidationError, match="larger than the 20 MB limit"):
        files.store_upload(session, contact_id=contact.id, filename="big.jpg", stream=stream, actor_id=user.id)
    assert stream.read_bytes <= 20 * 1024 * 1024 + files.CHUNK
    assert _on_disk(upload_dir) == []


def test_the_size_limit_comes_from_settings(session, upload_dir, user, contact, monkeypatch):
    monkeypatch.setattr(settings, "max_upload_mb", 1)
    with pytest.raises(ValidationError, match="larger than the 1 MB limit"):
        _store(session, contact, user, b"a" * (1024 * 1024 + 1), "big.txt")
    assert _store(session, contact, user, b"a" * 1024 * 1024, "ok.txt").size == 1024 * 1024


def test_a_stream_of_nul_bytes_is_refused_after_the_first_chunk(session, upload_dir, user, contact):
    stream = EndlessStream(b"")
    with pytest.raises(ValidationError, match="not accepted"):
        files.store_upload(session, contact_id=contact.id, filename="x.txt", stream=stream, actor_id=user.id)
    assert stream.read_bytes <= files.CHUNK


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\bob\\report.pdf", "report.pdf"),
        ("evil\x00.jpg", "evil.jpg"),
        ("line\nbreak\r\t.txt", "linebreak.txt"),
        ("inv\u202egpj.exe", "invgpj.exe"),
        ("...", "file"),
        ("", "file"),
        (None, "file"),
        ("é" * 300 + ".pdf", "é" * 196 + ".pdf"),
        ("x" * 500, "x" * 200),
    ],
)
def test_original_names_are_sanitised_for_display(raw, shown):
    assert files.display_name(raw) == shown
    assert len(files.display_name(raw)) <= 200


def test_an_overlong_path_like_name_is_stored_safely(session, upload_dir, user, contact):
    read = _store(session, contact, user, b"hello", "/" + "../" * 100 + "a" * 400 + ".txt")
    assert read.original_name == "a" * 196 + ".txt"


def test_files_appear_in_the_feed_and_deleting_one_is_a_feed_entry(session, upload_dir, user, contact):
    read = _store(session, contact, user, image_bytes("PNG", size=(40, 40)), "map.png")
    item = feed_service.feed(session, contact_id=contact.id, kinds={"files"}).items[0]
    assert (item.event, item.title, item.file_id, item.has_thumbnail, item.content_type) == (
        "file_added",
        "map.png",
        read.id,
        True,
        "image/png",
    )
    files.delete_attachment(session, attachment_id=read.id, actor_id=user.id)
    assert _on_disk(upload_dir) == []
    deleted, added = feed_service.feed(session, contact_id=contact.id, kinds={"files"}).items
    assert deleted.event == "file_deleted" and deleted.title == "map.png" and deleted.deleted
    assert added.file_id is None and added.deleted
    with pytest.raises(NotFoundError):
        files.open_attachment(session, attachment_id=read.id)
    with pytest.raises(NotFoundError):
        files.delete_attachment(session, attachment_id=read.id, actor_id=user.id)
    kinds = session.exec(select(AuditEntry.kind).where(AuditEntry.entity == "attachment")).all()
    assert kinds == ["file_added", "file_deleted"]


def test_uploading_to_an_unknown_contact_reads_nothing(session, upload_dir, user):
    stream = EndlessStream(b"hello")
    with pytest.raises(NotFoundError):
        files.store_upload(session, contact_id=4242, filename="a.txt", stream=stream, actor_id=user.id)
    assert stream.read_bytes == 0
