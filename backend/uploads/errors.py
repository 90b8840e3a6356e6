"""The refusals of uploads (SPEC §5), each with its status and reason word."""

from backend.i18n import _
from backend.web.errors import Conflict, DomainError, InvalidInput, NotFound, UnsupportedMediaType


class UnsupportedFile(UnsupportedMediaType):
    message = _("Send a JPEG or PNG photo or a PDF document.")


class FileTooLarge(DomainError):
    status = 413
    reason = "too_large"

    def __init__(self, max_bytes: int):
        super().__init__(_("The file is larger than %(mb)s MB.", mb=round(max_bytes / 1024 / 1024, 1)),
                         max_bytes=max_bytes)


class ImageTooLarge(InvalidInput):
    reason = "image_too_large"

    def __init__(self, megapixels: int):
        super().__init__(_("The picture has more than %(n)s million pixels; send a smaller one.", n=megapixels),
                         field="file")


class UploadNotFound(NotFound):
    """An unknown upload, and someone else's, answer alike: existence is not leaked."""

    reason = "upload_not_found"
    message = _("No such upload of yours.")


class UploadUsed(Conflict):
    reason = "upload_used"
    message = _("This upload is already attached; upload the file again to attach it elsewhere.")


class MetadataNotRemovable(InvalidInput):
    reason = "metadata_not_removable"

    def __init__(self):
        super().__init__(_("This PDF's document details (author, producer) cannot be removed, so it cannot go "
                           "with an anonymous report; attach a photo of it instead."), field="attachments")
