// Unread counts outside the page: "(3) MiniMost" in the title, a dot on the
// favicon (drawn on a canvas from our own favicon.svg), and the installed app's
// badge where the browser supports it.

const SIZE = 64;
const TITLE_COUNT = /^\(\d+\+?\)\s+/;

let original = null; // the page's own favicon URL
let mark = null; // the favicon, loaded once as an image
let drawn = "";

function iconLink() {
  let link = document.querySelector('link[rel="icon"]');
  if (!link) {
    link = document.createElement("link");
    link.rel = "icon";
    document.head.append(link);
  }
  if (original === null) original = link.getAttribute("href") || "/static/img/favicon.svg";
  return link;
}

function loadMark() {
  if (!mark) {
    mark = new Promise((resolve, reject) => {
      const image = new Image();
      image.onload = () => resolve(image);
      image.onerror = reject;
      image.src = original;
    });
  }
  return mark;
}

async function drawFavicon(count, urgent) {
  const link = iconLink();
  const key = count ? `${count}:${urgent}` : "";
  if (key === drawn) return;
  drawn = key;
  if (!count) {
    link.type = "image/svg+xml";
    link.href = original;
    return;
  }
  const image = await loadMark();
  if (drawn !== key) return; // a newer call won
  const canvas = document.createElement("canvas");
  canvas.width = SIZE;
  canvas.height = SIZE;
  const pen = canvas.getContext("2d");
  pen.drawImage(image, 0, 0, SIZE, SIZE);
  const radius = 17;
  const cx = SIZE - radius;
  const cy = radius;
  pen.beginPath();
  pen.arc(cx, cy, radius + 3, 0, Math.PI * 2);
  pen.fillStyle = "#0e1217";
  pen.fill();
  pen.beginPath();
  pen.arc(cx, cy, radius, 0, Math.PI * 2);
  pen.fillStyle = urgent ? "#e5484d" : "#f2a33a";
  pen.fill();
  const text = count > 9 ? "9+" : String(count);
  pen.fillStyle = "#ffffff";
  pen.font = `bold ${text.length > 1 ? 20 : 24}px system-ui, sans-serif`;
  pen.textAlign = "center";
  pen.textBaseline = "middle";
  pen.fillText(text, cx, cy + 1);
  link.type = "image/png";
  link.href = canvas.toDataURL("image/png");
}

/** Show `unread` (messages) and `mentions` in the title, favicon and app badge. */
export function setBadges({ unread = 0, mentions = 0 } = {}) {
  const count = Math.max(0, unread | 0);
  const base = document.title.replace(TITLE_COUNT, "");
  document.title = count ? `(${count > 999 ? "999+" : count}) ${base}` : base;
  document.documentElement.dataset.unread = String(count);
  drawFavicon(count, mentions > 0).catch((error) => console.warn("favicon badge", error));
  if ("setAppBadge" in navigator) {
    const badge = count ? navigator.setAppBadge(count) : navigator.clearAppBadge();
    badge.catch(() => {});
  }
}
