// Channel names as people read them, from CORE's state when it knows the channel.

import { dmMembers } from "./people.js";

/** "# general", "🔒 Firmware team", "@ bob, carol". */
export function channelLabel(state, channel) {
  const known = state.channels?.().find((entry) => entry.id === channel);
  if (channel.startsWith("dm:")) {
    const others = dmMembers(channel).filter((name) => name !== state.me?.username);
    return `@ ${(others.length ? others : dmMembers(channel)).join(", ")}`;
  }
  if (channel.startsWith("private:")) return known?.label ? known.label.replace(/^🔒\s*/, "") : "Private channel";
  return `# ${known?.label?.replace(/^#\s*/, "") || channel}`;
}

export function channelKind(channel) {
  if (channel.startsWith("dm:")) return "dm";
  if (channel.startsWith("private:")) return "private";
  return "public";
}

export function privateId(channel) {
  return Number.parseInt(channel.slice("private:".length), 10);
}
