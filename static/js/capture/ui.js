// The list of photos on this phone: one thumbnail per photo with its state in words,
// announced through an aria-live region. Built with DOM calls only (no innerHTML), so a
// server's error text is always shown as text.

const QUOTA = "This phone is full, so the photo couldn't be kept for upload. Free some space "
  + "(or let waiting photos upload), then take it again.";

/** The words for a photo's state; the journey is saved → uploading → clean → removed. */
export function describe(shot) {
  switch (shot.state) {
    case "preparing": return "Preparing…";
    case "saved": return "Saved on this phone";
    case "waiting": return shot.offline ? "Saved on this phone · waiting for signal"
      : "Saved on this phone · will retry shortly";
    case "uploading": return `Uploading ${Math.round((shot.progress || 0) * 100)}%`;
    case "clean": return shot.confirming ? "Clean on server ✓ · confirming deletion" : "Clean on server ✓";
    case "removed": return shot.source === "gallery" && !shot.attested
      ? "Removed from this app ✓" : "Removed from this phone ✓";
    case "failed": return "Not uploaded";
    case "signin": return "Waiting for you to sign in again";
    default: return "";
  }
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export class ShotList {
  constructor(section, { onRemove }) {
    this.list = section.querySelector("[data-queue]");
    this.live = section.querySelector("[data-announce]");
    this.alertBox = section.querySelector("[data-capture-alert]");
    this.onRemove = onRemove;
    this.shots = new Map();
    this.number = 0;
  }

  get connected() {
    return this.list.isConnected;
  }

  has(id) {
    return this.shots.has(id);
  }

  /** Show a photo at once, with a preview from ``blob`` when the phone can read it. */
  add({ id, source, blob, state, ...rest }) {
    if (this.shots.has(id)) return this.show({ id, state, ...rest });
    this.number += 1;
    const node = element("li", "shot");
    node.dataset.id = id;
    const shot = { id, source, state, node, name: `Photo ${this.number}`, url: null, ...rest };
    node.append(this.thumbnail(shot, blob), element("div", "shot-body"));
    this.shots.set(id, shot);
    this.list.prepend(node);
    this.render(shot);
    return shot;
  }

  thumbnail(shot, blob) {
    if (!blob) return element("div", "shot-thumb shot-nothumb", "No preview");
    shot.url = URL.createObjectURL(blob);
    const img = element("img", "shot-thumb");
    img.alt = `${shot.name}, ${shot.source === "gallery" ? "from the gallery" : "from the camera"}`;
    img.src = shot.url;
    img.addEventListener("error", () => img.replaceWith(element("div", "shot-thumb shot-nothumb", "No preview")));
    return img;
  }

  /** Swap the preview for the prepared copy (the original may be far larger). */
  preview(id, blob) {
    const shot = this.shots.get(id);
    if (!shot) return;
    const old = shot.node.querySelector(".shot-thumb");
    if (shot.url) URL.revokeObjectURL(shot.url);
    old.replaceWith(this.thumbnail(shot, blob));
  }

  /** Apply a state event from the queue (here or from the worker). */
  show(event) {
    const shot = this.shots.get(event.id);
    if (!shot) return null;
    const announce = event.state !== shot.state || (event.error && event.error !== shot.error);
    const { type, id, ...changes } = event;
    if (event.state && event.state !== "uploading") delete shot.progress;
    if (event.state && event.state !== "clean") delete shot.confirming;
    if (event.state && event.state !== shot.state && !("error" in event)) shot.error = null;
    Object.assign(shot, changes);
    if (event.receipt) shot.photoId = event.receipt.photo_id;
    this.render(shot);
    if (announce) this.announce(`${shot.name}: ${describe(shot)}${shot.error ? `. ${shot.error}` : ""}`);
    return shot;
  }

  rename(from, to) {
    const shot = this.shots.get(from);
    if (!shot) return;
    this.shots.delete(from);
    shot.id = to;
    shot.node.dataset.id = to;
    this.shots.set(to, shot);
  }

  quotaFull(id) {
    this.show({ id, state: "failed", error: QUOTA, unsaved: true });
    this.alert(QUOTA);
  }

  attested(photoId) {
    for (const shot of this.shots.values()) {
      if (String(shot.photoId) === String(photoId)) this.show({ id: shot.id, attested: true });
    }
  }

  forget(id) {
    const shot = this.shots.get(id);
    if (!shot) return;
    if (shot.url) URL.revokeObjectURL(shot.url);
    shot.node.remove();
    this.shots.delete(id);
    this.announce(`${shot.name} removed from this phone.`);
  }

  render(shot) {
    const body = element("div", "shot-body");
    shot.node.dataset.state = shot.state;
    body.append(element("p", "shot-name", shot.name), element("p", "shot-state", describe(shot)));
    if (shot.state === "uploading") {
      const bar = element("progress", "shot-progress");
      bar.max = 100;
      bar.value = Math.round((shot.progress || 0) * 100);
      bar.setAttribute("aria-label", `${shot.name} upload`);
      body.append(bar);
    }
    if (shot.error) body.append(element("p", "shot-error", shot.error));
    if (shot.state === "signin") body.append(this.signInLink());
    if (shot.state === "failed") body.append(this.removeButton(shot));
    if (shot.source === "gallery" && shot.photoId && !shot.attested) body.append(this.galleryNote(shot));
    shot.node.querySelector(".shot-body").replaceWith(body);
  }

  signInLink() {
    const link = element("a", "secondary", "Sign in again");
    link.href = `/login?next=${encodeURIComponent(location.pathname)}`;
    return link;
  }

  removeButton(shot) {
    const button = element("button", "secondary shot-remove", "Remove");
    button.type = "button";
    button.setAttribute("aria-label", `Remove ${shot.name} from this phone`);
    button.addEventListener("click", () => this.onRemove(shot.id));
    return button;
  }

  galleryNote(shot) {
    const note = element("div", "shot-gallery");
    note.append(element("p", "shot-warn", "Delete the original from your gallery"));
    const button = element("button", "secondary", "I've deleted it from my gallery");
    button.type = "button";
    button.dataset.attestUrl = `/api/photos/${shot.photoId}/gallery-deleted`;
    button.dataset.photoId = shot.photoId;
    note.append(button);
    return note;
  }

  announce(text) {
    if (!this.live) return;
    this.live.textContent = text;
  }

  alert(text) {
    if (!this.alertBox) return;
    this.alertBox.textContent = text;
    this.alertBox.hidden = !text;
  }
}
