// Photos shared into the app wait here until the teacher says to upload them: another
// website can post to the share target too, and must never put photos on the server.

/** Show the shared files with "Upload them" and "Discard them"; resolve with the answer. */
export function askAboutShared(section, items) {
  const panel = document.createElement("div");
  panel.className = "shared-review";
  panel.setAttribute("role", "region");
  panel.setAttribute("aria-label", "Photos shared into the app");
  const question = document.createElement("p");
  question.className = "shared-question";
  question.textContent = `${items.length === 1 ? "1 photo was" : `${items.length} photos were`}`
    + " shared into Trip Companion. Upload them for this event?";
  const thumbs = document.createElement("div");
  thumbs.className = "shared-thumbs";
  const urls = items.map((item) => URL.createObjectURL(item.file));
  urls.forEach((url, i) => {
    const img = document.createElement("img");
    img.src = url;
    img.alt = `Shared photo ${i + 1}`;
    img.width = 96;
    img.height = 96;
    thumbs.append(img);
  });
  const accept = button("Upload them", "primary");
  const reject = button("Discard them", "secondary");
  panel.append(question, thumbs, accept, reject);
  section.querySelector("[data-queue]").before(panel);
  return new Promise((resolve) => {
    const answer = (yes) => {
      urls.forEach((url) => URL.revokeObjectURL(url));
      panel.remove();
      resolve(yes);
    };
    accept.addEventListener("click", () => answer(true), { once: true });
    reject.addEventListener("click", () => answer(false), { once: true });
  });
}

function button(text, kind) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = kind;
  element.textContent = text;
  return element;
}
