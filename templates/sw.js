// MiniMost's service worker, rendered by the server for each version of the static files.
//
// * Keeps the app shell (stylesheets, scripts, images) in a cache named after the
//   content hashes of those files, so a changed file means a new worker and a new cache;
//   the old cache is deleted once the new worker takes over.
// * Versioned asset URLs (?v=<hash>) are answered from the cache when the hash matches;
//   unversioned ones (ES module imports) go to the network first and fall back to the
//   cache only when the server cannot be reached, so one page never mixes versions.
// * Pages go to the network; when it is down the cached offline page is shown.
// * /api/ and /ws are never touched: live data always comes from the server.
// * A click on a notification brings a MiniMost tab forward and opens its channel.

const CACHE_PREFIX = "minimost-shell-";
const CACHE = CACHE_PREFIX + {{ cache_version | tojson }};
const SHELL = new Map({{ shell | tojson }}.map((file) => [file.url, file.hash]));
const OFFLINE_PAGE = {{ offline_path | tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      const stored = [...SHELL].map(async ([url, hash]) => {
        const response = await fetch(`${url}?v=${hash}`, { cache: "no-cache" });
        if (!response.ok) throw new Error(`${url}: HTTP ${response.status}`);
        await cache.put(url, response);
      });
      stored.push(
        fetch(OFFLINE_PAGE, { cache: "no-cache" }).then((response) => cache.put(OFFLINE_PAGE, response)),
      );
      await Promise.all(stored);
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

async function staticFile(request, url) {
  const cache = await caches.open(CACHE);
  const version = url.searchParams.get("v");
  if (version !== null && SHELL.get(url.pathname) === version) {
    const cached = await cache.match(url.pathname);
    if (cached) return cached;
  }
  try {
    return await fetch(request);
  } catch (error) {
    const cached = await cache.match(url.pathname);
    if (cached) return cached;
    throw error;
  }
}

async function page(request) {
  try {
    return await fetch(request);
  } catch (error) {
    const cache = await caches.open(CACHE);
    const offline = await cache.match(OFFLINE_PAGE);
    if (offline) return offline;
    throw error;
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/api/") || url.pathname === "/ws") return;
  if (url.pathname.startsWith("/static/")) {
    event.respondWith(staticFile(request, url));
  } else if (request.mode === "navigate") {
    event.respondWith(page(request));
  }
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const channel = event.notification.data && event.notification.data.channel;
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const tab = windows.find((client) => new URL(client.url).pathname === "/") || windows[0];
      if (tab) {
        await tab.focus();
        if (channel) tab.postMessage({ type: "minimost:open-channel", channel });
        return;
      }
      await self.clients.openWindow(channel ? `/#${encodeURIComponent(channel)}` : "/");
    })(),
  );
});
