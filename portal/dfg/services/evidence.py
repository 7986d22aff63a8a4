"""Evidence uploads: checked for name, type, size, content and viruses; stored outside static/ under a
random name; downloaded only by DFG staff, and every download is audited."""

import hashlib
import os
import secrets
from pathlib import Path

from flask_babel import gettext as _
from werkzeug.utils import secure_filename

from portal.audit.services import actor_label, record
from portal.config import setting
from portal.dfg.models import MAX_EVIDENCE_BYTES, DfgCase, DfgEvidence
from portal.dfg.services._common import UploadRejected
from portal.dfg.services.workflow import begin
from portal.errors import NotFound

MB = 1024 * 1024
ALLOWED_EXTENSIONS = {".pdf": "application/pdf", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png"}
MAGIC = {"application/pdf": b"%PDF-", "image/jpeg": b"\xff\xd8\xff", "image/png": b"\x89PNG\r\n\x1a\n"}
EICAR = b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE"
_HTML_MARKERS = (b"<html", b"<script", b"<!doctype", b"<svg", b"<iframe", b"<body")


def upload_dir() -> Path:
    return Path(setting("DFG_UPLOAD_DIR"))


def upload_limit_mb() -> int:
    """The largest evidence file in MB: MAX_UPLOAD_MB, never above what the database accepts."""
    return min(int(setting("MAX_UPLOAD_MB")), MAX_EVIDENCE_BYTES // MB)


def upload_limit_bytes() -> int:
    return upload_limit_mb() * MB


def scan_for_malware(data: bytes) -> bool:
    """The virus-scan hook (RELIABILITY F3). In production point DFG_SCANNER at a ClamAV client; the
    default only spots the EICAR test string. Returns True when the file is infected."""
    scanner = setting("DFG_SCANNER")
    if scanner is not None:
        return bool(scanner(data))
    return EICAR in data


def check_upload(filename: str | None, data: bytes) -> tuple[str, str]:
    """Content type and a safe display name, or UploadRejected (on the file field) with the message."""
    if not filename:
        raise UploadRejected("Select a file", field="file")
    if ("/" in filename or "\\" in filename or ".." in filename or filename.startswith(".")
            or any(ord(ch) < 32 or ch in ':*?"<>|' for ch in filename)):
        raise UploadRejected("The file name must not include folders or special characters. "
                             "Rename the file, for example quote.pdf, and try again", field="file")
    ext = os.path.splitext(filename.lower())[1]
    if ext not in ALLOWED_EXTENSIONS:
        raise UploadRejected("The selected file must be a PDF, JPG or PNG", field="file")
    if len(data) == 0:
        raise UploadRejected("The selected file is empty", field="file")
    if len(data) > upload_limit_bytes():
        raise UploadRejected(f"The selected file must be smaller than {upload_limit_mb()} MB", field="file")
    content_type = ALLOWED_EXTENSIONS[ext]
    if not data.startswith(MAGIC[content_type]):
        raise UploadRejected(f"The selected file is not a real {ext[1:].upper()} file. "
                             "Upload a PDF, JPG or PNG", field="file")
    head = data[:2048].lower()
    if any(marker in head for marker in _HTML_MARKERS):
        raise UploadRejected("The selected file must be a PDF, JPG or PNG", field="file")
    if scan_for_malware(data):
        raise UploadRejected("The selected file contains a virus. It has not been saved", field="file")
    safe = secure_filename(filename)[:200] or f"evidence{ext}"
    if not safe.lower().endswith(ext):
        safe = f"evidence{ext}"
    return content_type, safe


def store_evidence(session, actor, c: DfgCase, *, filename: str | None, data: bytes, kind: str,
                   description: str | None = None) -> DfgEvidence:
    begin(actor, c, "upload")
    content_type, safe = check_upload(filename, data)
    folder = upload_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored = secrets.token_hex(24)
    path = folder / stored
    with open(path, "xb") as fh:
        fh.write(data)
    os.chmod(path, 0o600)
    ev = DfgEvidence(case_id=c.id, stored_name=stored, original_name=safe, content_type=content_type,
                     size=len(data), sha256=hashlib.sha256(data).hexdigest(), kind=kind,
                     description=(description or "").strip() or None, uploaded_by_id=actor_label(actor)[0])
    session.add(ev)
    session.flush()
    record(session, actor, "dfg.evidence_uploaded", "dfg_case", c.id, evidence_id=ev.id, kind=kind,
           size=len(data), content_type=content_type)
    return ev


def evidence_for_download(session, actor, case_id: int, evidence_id: int) -> tuple[DfgEvidence, Path]:
    """The evidence row and its file, after an object-level check; every download is audited."""
    ev = session.get(DfgEvidence, evidence_id)
    if ev is None or ev.case_id != case_id:
        raise NotFound(_("There is no such file on this case."))
    path = upload_dir() / ev.stored_name
    if not path.is_file():
        raise NotFound(_("The file is missing from storage."))
    record(session, actor, "dfg.evidence_downloaded", "dfg_case", case_id, evidence_id=ev.id,
           name=ev.original_name)
    return ev, path
