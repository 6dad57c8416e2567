// The reaction emoji the server accepts (GET /api/reactions), loaded once per page.

import { api } from "../../api.js";

let loading = null;

/** name -> {name, label, emoji}, in the server's order (most used first). */
export function loadReactions() {
  if (!loading) {
    loading = api("GET", "/api/reactions")
      .then((body) => {
        const list = Array.isArray(body) ? body : body?.reactions || [];
        return new Map(list.map((item) => [item.name, { name: item.name, label: item.label, emoji: item.emoji }]));
      })
      .catch((error) => {
        loading = null; // try again next time
        throw error;
      });
  }
  return loading;
}

/** Reactions whose name or label contains every word of `query` (case-insensitive). */
export function filterReactions(reactions, query) {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const all = Array.from(reactions.values());
  if (!words.length) return all;
  const matches = all.filter((item) => {
    const haystack = `${item.name} ${item.label}`.toLowerCase();
    return words.every((word) => haystack.includes(word));
  });
  // Names that start with the query come first; otherwise keep the server's order.
  const first = words[0];
  const starts = (item) => item.name.toLowerCase().startsWith(first) || item.label.toLowerCase().startsWith(first);
  return [...matches.filter(starts), ...matches.filter((item) => !starts(item))];
}
