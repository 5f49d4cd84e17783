// Make a photo ready to leave the phone: upright, at most maxSide pixels on its longest
// side, re-encoded as a fresh JPEG, so location and camera metadata never leave the phone.
// A file the phone can't decode is sent as it is: the server's sanitizer is the judge and
// explains the problem in words the teacher can act on (the client is never trusted anyway).

export const DEFAULT_MAX_SIDE = 2048;
export const QUALITY = 0.85;

/** A new client id for a photo: 32 hex characters, valid as an Idempotency-Key. */
export function newId() {
  return crypto.randomUUID().replaceAll("-", "");
}

/** Hex SHA-256 of a Blob's bytes. */
export async function sha256(blob) {
  const digest = await crypto.subtle.digest("SHA-256", await blob.arrayBuffer());
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Scale (width, height) down to fit ``maxSide``; never up. */
export function fit(width, height, maxSide) {
  const scale = Math.min(1, maxSide / Math.max(width, height));
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/** Return ``{blob, sha256, width, height, reencoded}`` for a picked or shared file. */
export async function preparePhoto(file, maxSide = DEFAULT_MAX_SIDE) {
  let bitmap;
  try {
    bitmap = await createImageBitmap(file, { imageOrientation: "from-image" });
  } catch (error) {
    return asItIs(file);  // not an image this phone can read: let the server say why
  }
  try {
    const size = fit(bitmap.width, bitmap.height, maxSide);
    const blob = await encodeJpeg(bitmap, size.width, size.height);
    return { blob, sha256: await sha256(blob), ...size, reencoded: true };
  } catch (error) {
    return asItIs(file);  // out of memory on a huge image: the server still cleans it
  } finally {
    bitmap.close();
  }
}

async function asItIs(file) {
  const blob = new Blob([await file.arrayBuffer()], { type: file.type || "application/octet-stream" });
  return { blob, sha256: await sha256(blob), width: null, height: null, reencoded: false };
}

function makeCanvas(width, height) {
  if (typeof OffscreenCanvas !== "undefined") return new OffscreenCanvas(width, height);
  const canvas = document.createElement("canvas");
  canvas.width = width;
  canvas.height = height;
  return canvas;
}

async function encodeJpeg(bitmap, width, height) {
  const canvas = makeCanvas(width, height);
  const context = canvas.getContext("2d", { alpha: false });
  context.fillStyle = "#fff";  // transparent PNG areas become white, not black
  context.fillRect(0, 0, width, height);
  context.imageSmoothingEnabled = true;
  context.imageSmoothingQuality = "high";
  context.drawImage(bitmap, 0, 0, width, height);
  if (canvas.convertToBlob) return canvas.convertToBlob({ type: "image/jpeg", quality: QUALITY });
  return new Promise((resolve, reject) => {
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error("JPEG encoding failed"))),
      "image/jpeg", QUALITY);
  });
}
