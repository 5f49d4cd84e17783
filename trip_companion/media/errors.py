"""Why a photo was refused, in words a teacher on a hillside can act on.

Every refusal is a ``SanitizeError`` (a ``ValueError``, so views can treat it as bad
input). ``str(error)`` is the teacher's message; ``code`` is a stable slug for views,
logs and JSON; ``detail`` is the technical reason for the log, never shown to users.
"""

from __future__ import annotations


class SanitizeError(ValueError):
    """A photo we will not clean or post; nothing was produced."""

    code = "invalid"
    message = "This photo can't be posted. Take it again with the camera app."

    def __init__(self, detail: str = "", *, message: str | None = None) -> None:
        self.detail = detail
        if message is not None:
            self.message = message
        super().__init__(self.message)

    def as_dict(self) -> dict[str, str]:
        """Return the error as JSON-ready fields."""
        return {"error": self.code, "message": self.message, "detail": self.detail}


class EmptyFileError(SanitizeError):
    """The upload held no bytes at all."""

    code = "empty"
    message = "This file is empty — nothing arrived. Take the photo again or retry the upload."


class FileTooLargeError(SanitizeError):
    """More bytes than we agree to read."""

    code = "too_large"
    message = "This file is too large to post. Share the photo from the camera app, not a video."


class UnsupportedFormatError(SanitizeError):
    """Not a still photo in a format we can clean (GIF, video, PDF, …)."""

    code = "unsupported"
    message = "This file type can't be posted. Send a photo: JPEG, HEIC, PNG or WebP."


class TruncatedImageError(SanitizeError):
    """The file stops before the picture ends: a cut-off upload."""

    code = "truncated"
    message = ("This photo is incomplete — the upload was cut off. "
               "Take it again or retry when you have signal.")


class CorruptImageError(SanitizeError):
    """The bytes claim to be a photo but do not decode as one."""

    code = "corrupt"
    message = "This photo is damaged and can't be read. Take it again with the camera app."


class TooManyPixelsError(SanitizeError):
    """A decompression bomb, or simply a picture far larger than any phone takes."""

    code = "too_many_pixels"
    message = ("This picture is too big to post. Take an ordinary photo with the camera app "
               "(panoramas and edited giant images can't be posted).")


class UnsafeOutputError(SanitizeError):
    """Our own re-read of the clean copy still found metadata: fail closed."""

    code = "unsafe_output"
    message = ("We couldn't remove every hidden detail from this photo, so it was not posted. "
               "Take it again with the camera app.")


class RenderError(SanitizeError):
    """A derivative for a network could not be made within its limits."""

    code = "render_failed"
    message = "This photo couldn't be made small enough for the network. Try another photo."
