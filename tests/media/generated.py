"""The dirty pictures the tests make themselves: every format, every hiding place.

Pillow draws and encodes; ExifTool then writes metadata the way cameras and editors do
(one ExifTool process for the whole set, through an argument file). Each picture has
its own secret tokens so a leak can be traced to the exact place it came from.
"""

from __future__ import annotations

import io
import subprocess
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pillow_heif
from PIL import Image, PngImagePlugin

from tests.media import helpers as h

STEMS = (
    "jpeg_exiftool_all", *(f"jpeg_orientation_{n}" for n in range(1, 9)), "jpeg_progressive",
    "jpeg_cmyk", "png_exiftool", "webp_exiftool", "jpeg_mpo", "jpeg_motion_photo",
    "jpeg_polyglot_zip", "jpeg_device_icc", "png_pillow_text", "png_xmp_orientation_3",
    "png_exif_orientation_6", "webp_exif_orientation_6", "webp_xmp_nul_chunk",
    "webp_lossless_alpha_orientation_8", "heic_orientation_1", "heic_orientation_6",
    "avif_orientation_6",
)


@dataclass
class Dirty:
    """One generated picture: where it is, what must never leak, what orientation it has."""

    path: Path
    secrets: tuple[str, ...]
    turn: int = 1
    expect: set[str] = field(default_factory=set)  # removal categories the report must name


def _exiftool_args(secret: str, *, thumbnail: Path | None = None, turn: int | None = None,
                   iptc: bool = True, comment: bool = True) -> list[str]:
    args = ["-GPSLatitude=51.5074", "-GPSLatitudeRef=N", "-GPSLongitude=0.1278",
            "-GPSLongitudeRef=W", "-GPSAltitude=35", f"-Make=Make{secret}",
            f"-Model=Model{secret}", f"-SerialNumber=Serial{secret}", f"-Artist=Artist{secret}",
            f"-Copyright=Copy{secret}", "-DateTimeOriginal=2024:05:01 10:11:12",
            f"-Software=Soft{secret}", f"-ImageDescription=Desc{secret}",
            f"-UserComment=User{secret}", f"-OwnerName=Owner{secret}", f"-LensModel=Lens{secret}",
            f"-XMP-dc:Creator=Creator{secret}", f"-XMP-photoshop:City=City{secret}"]
    if iptc:
        args += [f"-IPTC:By-line=Byline{secret}", f"-IPTC:City=Icity{secret}",
                 f"-IPTC:Keywords=Key{secret}"]
    if comment:
        args.append(f"-Comment=Comment{secret}")
    if thumbnail is not None:
        args.append(f"-ThumbnailImage<={thumbnail}")
    if turn is not None:
        args.append(f"-Orientation#={turn}")
    return args


def _secrets(secret: str, iptc: bool = True, comment: bool = True) -> tuple[str, ...]:
    names = ["Make", "Model", "Serial", "Artist", "Copy", "Soft", "Desc", "User", "Owner",
             "Lens", "Creator", "City"] + (["Byline", "Icity", "Key"] if iptc else []) + (
             ["Comment"] if comment else [])
    return tuple(f"{name}{secret}" for name in names)


def build(folder: Path) -> dict[str, Dirty]:
    """Write every dirty picture into ``folder``; return them by file stem."""
    folder.mkdir(parents=True, exist_ok=True)
    made: dict[str, Dirty] = {}
    commands: list[list[str]] = []
    thumb = folder / "thumbnail-source.bin"
    thumb.write_bytes(h.encode(h.picture((32, 24)), "JPEG"))
    _jpegs(folder, made, commands, thumb)
    _others_with_exiftool(folder, made, commands)
    _run_exiftool(folder, commands)
    thumb.unlink()
    _jpeg_containers(folder, made)
    _pngs(folder, made)
    _webps(folder, made)
    _heifs(folder, made)
    return made


def _jpegs(folder: Path, made: dict, commands: list, thumb: Path) -> None:
    full = {"location", "device", "owner", "timestamps", "software", "descriptions", "xmp",
            "iptc", "comments", "thumbnails"}
    path = folder / "jpeg_exiftool_all.jpg"
    path.write_bytes(h.encode(h.picture(), "JPEG", quality=90))
    commands.append([*_exiftool_args("SECRETJA", thumbnail=thumb), str(path)])
    made[path.stem] = Dirty(path, _secrets("SECRETJA"), expect=full)
    for turn in range(1, 9):
        path = folder / f"jpeg_orientation_{turn}.jpg"
        path.write_bytes(h.encode(h.stored_for(turn, h.picture()), "JPEG", quality=90))
        commands.append([*_exiftool_args(f"SECRETO{turn}", turn=turn), str(path)])
        made[path.stem] = Dirty(path, _secrets(f"SECRETO{turn}"), turn, {"location", "xmp"})
    path = folder / "jpeg_progressive.jpg"
    path.write_bytes(h.encode(h.stored_for(6, h.picture()), "JPEG", quality=85, progressive=True))
    commands.append([*_exiftool_args("SECRETJP", turn=6), str(path)])
    made[path.stem] = Dirty(path, _secrets("SECRETJP"), 6, full - {"thumbnails"})
    path = folder / "jpeg_cmyk.jpg"
    path.write_bytes(h.encode(h.picture(mode="CMYK"), "JPEG", quality=90))
    commands.append([*_exiftool_args("SECRETJC"), str(path)])
    made[path.stem] = Dirty(path, _secrets("SECRETJC"), expect=full - {"thumbnails"})


def _others_with_exiftool(folder: Path, made: dict, commands: list) -> None:
    path = folder / "png_exiftool.png"
    path.write_bytes(h.encode(h.picture(), "PNG"))
    commands.append([*_exiftool_args("SECRETPX", iptc=False, comment=False),
                     "-PNG:Author=AuthorSECRETPX", "-PNG:Comment=PcommentSECRETPX", str(path)])
    made[path.stem] = Dirty(path, (*_secrets("SECRETPX", False, False), "AuthorSECRETPX",
                                   "PcommentSECRETPX"), expect={"xmp", "png_text"})
    path = folder / "webp_exiftool.webp"
    path.write_bytes(h.encode(h.picture(), "WEBP", quality=90))
    commands.append([*_exiftool_args("SECRETWX", iptc=False, comment=False), str(path)])
    made[path.stem] = Dirty(path, _secrets("SECRETWX", False, False),
                            expect={"location", "device", "xmp"})


def _run_exiftool(folder: Path, commands: list[list[str]]) -> None:
    lines = []
    for command in commands:
        lines += ["-overwrite_original", "-q", "-q", *command, "-execute"]
    argfile = folder / "exiftool.args"
    argfile.write_text("\n".join(lines) + "\n")
    subprocess.run([h.EXIFTOOL, "-@", str(argfile)], check=True, capture_output=True)
    argfile.unlink()


def _jpeg_containers(folder: Path, made: dict) -> None:
    exif = h.exif_block(secret="SECRETMP").tobytes()
    frames = [h.picture(), h.picture().transpose(Image.Transpose.ROTATE_180)]
    path = folder / "jpeg_mpo.jpg"
    path.write_bytes(h.encode(frames[0], "MPO", save_all=True, append_images=frames[1:],
                              exif=exif))
    made[path.stem] = Dirty(path, ("MakeSECRETMP", "ArtistSECRETMP"),
                            expect={"location", "device", "extra_images", "trailing_data"})
    base = h.encode(h.picture(), "JPEG", exif=h.exif_block(secret="SECRETMV").tobytes(),
                    xmp=h.xmp_packet("SECRETMV"))
    video = (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x10\x08mdat"
             + b"MOTIONVIDEOSECRET" * 240)
    samsung = b"MotionPhoto_Data" + b"SAMSUNGTRAILERSECRET" * 4 + b"\x00" * 8 + b"SEFT"
    path = folder / "jpeg_motion_photo.jpg"
    path.write_bytes(base + video + samsung)
    made[path.stem] = Dirty(path, ("MakeSECRETMV", "CreatorSECRETMV", "MOTIONVIDEOSECRET",
                                   "SAMSUNGTRAILERSECRET", "ftypmp42", "SEFT"),
                            expect={"location", "xmp", "trailing_data"})
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("secret.txt", "ZIPPAYLOADSECRET " * 50)
    path = folder / "jpeg_polyglot_zip.jpg"
    path.write_bytes(h.encode(h.picture(), "JPEG") + archive.getvalue())
    made[path.stem] = Dirty(path, ("ZIPPAYLOADSECRET", "PK\x03\x04", "secret.txt"),
                            expect={"trailing_data"})
    path = folder / "jpeg_device_icc.jpg"
    path.write_bytes(h.encode(h.picture(), "JPEG", icc_profile=h.device_icc("SECRETIC")))
    made[path.stem] = Dirty(path, ("PhoneSECRETIC", "OwnerSECRETIC", "MakerSECRETIC",
                                   "DeviceSECRETIC", "SAMSG935"), expect={"colour_profile"})


def _pngs(folder: Path, made: dict) -> None:
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "AuthorSECRETPT")
    info.add_text("Comment", "CommentSECRETPT", zip=True)
    info.add_itxt("Description", "DescSECRETPT", lang="en", tkey="Beschreibung")
    info.add(b"tIME", bytes.fromhex("07e8050a0b0c0d"))
    info.add(b"prVt", b"PrivateSECRETPT")
    path = folder / "png_pillow_text.png"
    path.write_bytes(h.encode(h.picture(), "PNG", pnginfo=info,
                              exif=h.exif_block(secret="SECRETPT").tobytes()))
    made[path.stem] = Dirty(path, ("AuthorSECRETPT", "CommentSECRETPT", "DescSECRETPT",
                                   "PrivateSECRETPT", "MakeSECRETPT"),
                            expect={"png_text", "timestamps", "location", "vendor_data"})
    info = PngImagePlugin.PngInfo()
    info.add_itxt("XML:com.adobe.xmp", h.xmp_packet("SECRETP3", turn=3).decode())
    path = folder / "png_xmp_orientation_3.png"
    path.write_bytes(h.encode(h.stored_for(3, h.picture()), "PNG", pnginfo=info))
    made[path.stem] = Dirty(path, ("CreatorSECRETP3", "CitySECRETP3"), 3, {"xmp"})
    path = folder / "png_exif_orientation_6.png"
    path.write_bytes(h.encode(h.stored_for(6, h.picture()), "PNG",
                              exif=h.exif_block(6, "SECRETP6").tobytes()))
    made[path.stem] = Dirty(path, ("MakeSECRETP6", "ArtistSECRETP6"), 6, {"location", "device"})


def _webps(folder: Path, made: dict) -> None:
    path = folder / "webp_exif_orientation_6.webp"
    path.write_bytes(h.encode(h.stored_for(6, h.picture()), "WEBP", quality=90,
                              exif=h.exif_block(6, "SECRETW6").tobytes(),
                              xmp=h.xmp_packet("SECRETW6")))
    made[path.stem] = Dirty(path, ("MakeSECRETW6", "CreatorSECRETW6"), 6,
                            {"location", "device", "xmp"})
    plain = h.encode(h.picture(), "WEBP", quality=90, exif=h.exif_block(secret="SECRETWN")
                     .tobytes())
    path = folder / "webp_xmp_nul_chunk.webp"
    path.write_bytes(h.add_webp_chunks(plain, h.riff_chunk(b"XMP\x00", h.xmp_packet("SECRETWN"))))
    made[path.stem] = Dirty(path, ("MakeSECRETWN", "CreatorSECRETWN"),
                            expect={"location", "xmp"})
    rgba = h.stored_for(8, h.picture()).convert("RGBA")
    rgba.putalpha(200)
    path = folder / "webp_lossless_alpha_orientation_8.webp"
    path.write_bytes(h.encode(rgba, "WEBP", lossless=True, exif=h.exif_block(8, "SECRETW8")
                              .tobytes()))
    made[path.stem] = Dirty(path, ("MakeSECRETW8",), 8, {"location", "device"})


def _heifs(folder: Path, made: dict) -> None:
    for turn in (1, 6):
        secret = f"SECRETH{turn}"
        stored = h.stored_for(turn, h.picture())
        buf = io.BytesIO()
        pillow_heif.from_pillow(stored).save(buf, quality=85, exif=h.exif_block(turn, secret)
                                             .tobytes(), xmp=h.xmp_packet(secret))
        path = folder / f"heic_orientation_{turn}.heic"
        path.write_bytes(buf.getvalue())
        made[path.stem] = Dirty(path, (f"Make{secret}", f"Creator{secret}"), turn,
                                {"location", "device"})
    path = folder / "avif_orientation_6.avif"
    path.write_bytes(h.encode(h.stored_for(6, h.picture()), "AVIF", quality=85,
                              exif=h.exif_block(6, "SECRETAV").tobytes(),
                              xmp=h.xmp_packet("SECRETAV")))
    made[path.stem] = Dirty(path, ("MakeSECRETAV", "CreatorSECRETAV"), 6,
                            {"location", "device", "xmp"})
