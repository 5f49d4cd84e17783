"""Builders and judges for the media tests: pictures with known metadata, and the checks.

Pictures are drawn so that every one of the eight orientations looks different (a red
block top-left, a blue bar along the bottom, a gradient), which makes a sideways or
mirrored output fail the upright comparison.
"""

from __future__ import annotations

import importlib.util
import io
import json
import shutil
import struct
import subprocess
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image, ImageCms, ImageDraw, ImageOps

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / ".." / "shared"
CORPUS = SHARED / "corpus"
RESIDUE = SHARED / "tools" / "residue.py"
EXIFTOOL = shutil.which("exiftool")

# What a clean file may still show, per ExifTool family-0 group: structure, not information.
ALLOWED = {
    "EXIF": {"Orientation", "XResolution", "YResolution", "ResolutionUnit", "ExifByteOrder",
             "YCbCrPositioning", "ColorSpace"},
    "JFIF": {"JFIFVersion", "ResolutionUnit", "XResolution", "YResolution"},
    "PNG": {"ImageWidth", "ImageHeight", "BitDepth", "ColorType", "Compression", "Filter",
            "Interlace", "Gamma", "WhitePointX", "WhitePointY", "RedX", "RedY", "GreenX",
            "GreenY", "BlueX", "BlueY", "SRGBRendering", "PixelsPerUnitX", "PixelsPerUnitY",
            "PixelUnits", "SignificantBits", "Transparency", "Palette", "ProfileName"},
    "RIFF": {"WebP_Flags", "ImageWidth", "ImageHeight", "VP8Version", "HorizontalScale",
             "VerticalScale", "AlphaPreprocessing", "AlphaFiltering", "AlphaCompression"},
    "APP14": {"DCTEncodeVersion", "APP14Flags0", "APP14Flags1", "ColorTransform"},
}
IGNORED = {"SourceFile", "File", "ExifTool", "Composite", "System", "ICC_Profile"}


def picture(size: tuple[int, int] = (160, 120), mode: str = "RGB") -> Image.Image:
    """Return an asymmetric test picture (every orientation looks different)."""
    width, height = size
    image = Image.linear_gradient("L").resize(size).convert("RGB")
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 3), fill=(220, 30, 30))
    draw.rectangle((0, height - height // 6, width, height), fill=(30, 30, 220))
    draw.ellipse((width // 2, height // 4, width // 2 + width // 5, height // 2),
                 fill=(30, 200, 30))
    return image.convert(mode) if mode != "RGB" else image


def encode(image: Image.Image, fmt: str, **params: Any) -> bytes:
    """Return ``image`` saved by Pillow in ``fmt``."""
    buf = io.BytesIO()
    image.save(buf, fmt, **params)
    return buf.getvalue()


def stored_for(turn: int, image: Image.Image) -> Image.Image:
    """Return the pixels a camera stores so that orientation ``turn`` displays ``image``."""
    inverse = {2: 2, 3: 3, 4: 4, 5: 5, 6: 8, 7: 7, 8: 6}
    if turn == 1:
        return image
    tagged = image.copy()
    exif = Image.Exif()
    exif[0x0112] = inverse[turn]
    tagged.info["exif"] = exif.tobytes()
    return ImageOps.exif_transpose(tagged)


def exif_block(turn: int | None = None, secret: str = "SECRET") -> Image.Exif:
    """Return EXIF with device, owner, time, GPS and, optionally, an orientation."""
    exif = Image.Exif()
    exif[0x010F] = f"Make{secret}"
    exif[0x0110] = f"Model{secret}"
    exif[0x013B] = f"Artist{secret}"
    exif[0x0131] = f"Software{secret}"
    exif[0x0132] = "2024:05:01 10:11:12"
    if turn:
        exif[0x0112] = turn
    gps = exif.get_ifd(0x8825)
    gps.update({1: "N", 2: (51.0, 30.0, 26.5), 3: "W", 4: (0.0, 7.0, 39.9)})
    return exif


def xmp_packet(secret: str = "SECRET", turn: int | None = None) -> bytes:
    """Return an XMP packet naming a creator and a city (and an orientation if given)."""
    orientation = f' tiff:Orientation="{turn}"' if turn else ""
    return (
        '<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>'
        '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
        '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
        'xmlns:photoshop="http://ns.adobe.com/photoshop/1.0/" '
        f'xmlns:tiff="http://ns.adobe.com/tiff/1.0/" photoshop:City="City{secret}"{orientation}>'
        f'<dc:creator><rdf:Seq><rdf:li>Creator{secret}</rdf:li></rdf:Seq></dc:creator>'
        '</rdf:Description></rdf:RDF></x:xmpmeta><?xpacket end="w"?>'
    ).encode()


def png_chunk(kind: bytes, body: bytes) -> bytes:
    """Return one PNG chunk with its CRC."""
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def riff_chunk(fourcc: bytes, body: bytes) -> bytes:
    """Return one RIFF chunk, padded."""
    return fourcc + struct.pack("<I", len(body)) + body + b"\x00" * (len(body) & 1)


def add_webp_chunks(data: bytes, *chunks: bytes) -> bytes:
    """Return a WebP with raw chunks appended inside its RIFF container."""
    body = data[12:] + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", 4 + len(body)) + b"WEBP" + body


def device_icc(secret: str = "SECRET", gamma: float = 2.2) -> bytes:
    """Return a v2 RGB profile naming a device (desc/dmnd/dmdd/cprt, header maker/model)."""

    def text_desc(text: str) -> bytes:
        raw = text.encode() + b"\x00"
        return b"desc" + bytes(4) + struct.pack(">I", len(raw)) + raw + bytes(78)

    def xyz(x: float, y: float, z: float) -> bytes:
        return b"XYZ " + bytes(4) + struct.pack(">iii", *(round(v * 65536) for v in (x, y, z)))

    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, int(gamma * 256)) + bytes(2)
    tags = [(b"desc", text_desc(f"Phone{secret} camera profile")),
            (b"cprt", b"text" + bytes(4) + f"Copyright Owner{secret}".encode() + b"\x00"),
            (b"dmnd", text_desc(f"Maker{secret}")), (b"dmdd", text_desc(f"Device{secret}")),
            (b"wtpt", xyz(0.9642, 1.0, 0.8249)), (b"rXYZ", xyz(0.4361, 0.2225, 0.0139)),
            (b"gXYZ", xyz(0.3851, 0.7169, 0.0971)), (b"bXYZ", xyz(0.1431, 0.0606, 0.7141)),
            (b"rTRC", curve), (b"gTRC", curve), (b"bTRC", curve)]
    table, body = b"", b""
    offset = 128 + 4 + 12 * len(tags)
    for sig, blob in tags:
        blob += bytes(-len(blob) % 4)
        table += struct.pack(">4sII", sig, offset + len(body), len(blob))
        body += blob
    header = bytearray(128)
    header[8:12] = b"\x02\x10\x00\x00"
    header[12:24] = b"mntrRGB XYZ "
    header[36:40] = b"acsp"
    header[48:56] = b"SAMSG935"
    header[68:80] = struct.pack(">iii", 63190, 65536, 54061)
    header[80:84] = b"SAMS"
    profile = bytes(header) + struct.pack(">I", len(tags)) + table + body
    return struct.pack(">I", len(profile)) + profile[4:]


def thumb(image: Image.Image) -> list[int]:
    """Return a 32x32 greyscale fingerprint of a displayed picture."""
    return list(image.convert("L").resize((32, 32), Image.Resampling.BOX).tobytes())


def displayed(data_or_path: bytes | Path) -> Image.Image:
    """Open a picture the way an EXIF-aware viewer shows it (HEIC through pillow-heif)."""
    import pillow_heif

    pillow_heif.register_heif_opener()
    source = data_or_path if isinstance(data_or_path, Path) else io.BytesIO(data_or_path)
    with Image.open(source) as image:
        image.seek(0)
        if image.format == "JPEG" and image.width * image.height > 4_000_000:
            image.draft("RGB", (image.width // 4, image.height // 4))
        image.load()
        return ImageOps.exif_transpose(image)


Fingerprint = tuple[tuple[int, int], list[int]]


def fingerprint(image: Image.Image) -> Fingerprint:
    """Return (size, 32x32 grey thumbnail): enough to tell a turned or mirrored picture."""
    return image.size, thumb(image)


def same_picture(a: Image.Image | Fingerprint, b: Image.Image | Fingerprint,
                 tolerance: float = 12.0) -> bool:
    """Tell whether two displayed pictures match: same shape and near-identical pixels.

    Sizes are compared as aspect ratios because a draft decode may shrink one of them.
    """
    (sa, ta), (sb, tb) = (x if isinstance(x, tuple) else fingerprint(x) for x in (a, b))
    if abs(sa[0] * sb[1] - sa[1] * sb[0]) > max(sa) * max(sb) * 0.02:
        return False
    return sum(abs(x - y) for x, y in zip(ta, tb, strict=True)) / len(ta) < tolerance


def in_srgb(image: Image.Image) -> Image.Image:
    """Return the picture as sRGB pixels on white, as a colour-managed viewer shows it."""
    if "A" in image.getbands() or "transparency" in image.info:
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        flat.info = image.info
        image = flat
    profile = image.info.get("icc_profile")
    if not profile:
        return image.convert("RGB")
    source = ImageCms.ImageCmsProfile(io.BytesIO(profile))
    return ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"),
                                     outputMode="RGB")


def load_residue() -> Any:
    """Import the acceptance oracle as a module (None where the shared tools are absent)."""
    if not RESIDUE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("residue", RESIDUE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def residue_batch(paths: list[Path], reference: Path | None = None) -> subprocess.Popen:
    """Start one residue.py run over whole folders (read with ``residue_results``)."""
    import sys

    args = [sys.executable, str(RESIDUE), *map(str, paths)]
    if reference is not None:
        args += ["--reference", str(reference)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def residue_results(proc: subprocess.Popen) -> dict[str, dict]:
    """Wait for a residue.py run; return its entries by file stem."""
    out, err = proc.communicate(timeout=300)
    if proc.returncode not in (0, 1):
        raise RuntimeError(err.decode())
    return {Path(e["file"]).stem: e for e in json.loads(out)}


def exiftool_json(paths: list[Path]) -> dict[str, dict]:
    """Return ExifTool's view (``-a -G0:1 -j -u``) of every file, by stem, in one run."""
    proc = subprocess.run([EXIFTOOL, "-a", "-G0:1", "-s", "-j", "-u", "-q", "-q",
                           *map(str, paths)], capture_output=True, check=False)
    return {Path(item["SourceFile"]).stem: item for item in json.loads(proc.stdout or b"[]")}


def leftovers(tags: dict[str, Any], secrets: tuple[str, ...] = ()) -> list[str]:
    """Return what a clean file must not show: tags outside ``ALLOWED``, or any secret.

    This is our own rule, stricter than the oracle: anything not known to be structure
    (camera settings, unknown chunks, vendor segments) counts.
    """
    bad = []
    for key, value in tags.items():
        family0, _, name = key.partition(":")
        name = name.rpartition(":")[2]
        leaked = any(secret in str(value) for secret in secrets)
        if leaked or (family0 not in IGNORED and name not in ALLOWED.get(family0, ())):
            bad.append(key)
    return bad


class ExifToolSession:
    """One long-running ExifTool (``-stay_open``): a query costs milliseconds, not a Perl start."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen([EXIFTOOL, "-stay_open", "True", "-@", "-"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL)
        self.count = 0

    def tags(self, path: Path) -> dict[str, Any]:
        """Return ExifTool's ``-a -G0:1 -j -u`` view of one file."""
        self.count += 1  # -q hides "{ready}" unless it is numbered
        ready = f"{{ready{self.count}}}\n".encode()
        args = ["-a", "-G0:1", "-s", "-j", "-u", "-q", "-q", str(path), f"-execute{self.count}"]
        self.proc.stdin.write(("\n".join(args) + "\n").encode())
        self.proc.stdin.flush()
        out = b""
        while not out.endswith(ready):
            line = self.proc.stdout.readline()
            if not line:
                raise RuntimeError("exiftool exited")
            out += line
        items = json.loads(out[:-len(ready)] or b"[]")
        return items[0] if items else {}

    def close(self) -> None:
        """Ask ExifTool to exit and wait for it."""
        self.proc.stdin.write(b"-stay_open\nFalse\n")
        self.proc.stdin.close()
        self.proc.wait(timeout=10)
        self.proc.stdout.close()


@dataclass
class Result:
    """What a run of ``strip`` printed and returned."""

    exit_code: int
    output: str


def invoke_strip(*args: str) -> Result:
    """Run ``strip`` in this process, as the command line would; capture what it prints."""
    import contextlib
    import io

    from trip_companion.media.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            code = main([*args])
        except SystemExit as exc:  # a usage error, as argparse reports it
            code = exc.code
    return Result(code, out.getvalue())
