// The members dialog: who is in the open channel (everyone for a public
// channel, the members of a private one, the participants of a DM), with
// presence, bio and a button to message each; private channels can add a
// member, be renamed or be left from here.

import { api } from "../../api.js";
import { channelKind, channelLabel } from "./channels.js";
import { openDialog } from "./dialog.js";
import { h, statusLine } from "./dom.js";
import { openAddMemberDialog, openRenameDialog, leaveChannel } from "./channel-dialogs.js";
import { allUsers, dmChannel, dmMembers, onPeopleChange, personAvatar, personName, presenceOf, presenceWord, startPeople } from "./people.js";

const PRESENCE_ORDER = { active: 0, idle: 1, offline: 2 };

/** The usernames in `channel`, as far as this client can know them. */
export async function membersOf(ctx, channel) {
  const kind = channelKind(channel);
  if (kind === "dm") return dmMembers(channel);
  if (kind === "private") {
    const known = ctx.state.channels?.().find((entry) => entry.id === channel);
    if (Array.isArray(known?.members) && known.members.length) return known.members;
    const answer = await api("GET", "/api/private-channels");
    return answer.channels.find((entry) => entry.channel === channel)?.members || [];
  }
  await startPeople(ctx.connection);
  return allUsers().map((user) => user.username);
}

export function openMembersDialog(ctx, channel = ctx.state.currentChannel) {
  const me = ctx.state.me.username;
  const kind = channelKind(channel);
  const status = statusLine();
  const filter = h("input", { className: "mm-input", type: "search", placeholder: "Find someone", autocomplete: "off", attrs: { "aria-label": "Find a member" } });
  const count = h("p", { className: "mm-help", attrs: { "aria-live": "polite" } });
  const list = h("ul", { className: "mm-people", attrs: { "aria-label": "Members" } });
  const tools = h("div", { className: "mm-actions" });
  const content = h("div", { className: "mm-stack" }, filter, count, status.element, list, tools);
  let members = [];

  const render = () => {
    const text = filter.value.trim().toLowerCase();
    const sorted = [...members].sort(
      (a, b) => Number(b === me) - Number(a === me) || PRESENCE_ORDER[presenceOf(a)] - PRESENCE_ORDER[presenceOf(b)] || a.localeCompare(b),
    );
    const shown = sorted.filter((name) => name.toLowerCase().includes(text));
    count.textContent = `${members.length} ${members.length === 1 ? "member" : "members"}${text ? `, ${shown.length} shown` : ""}`;
    list.replaceChildren(
      ...shown.map((name) => {
        const bio = allUsers().find((user) => user.username === name)?.bio;
        const row = h(
          "li",
          { className: "mm-person", dataset: { username: name } },
          personAvatar(name, { size: "md" }),
          h(
            "span",
            { className: "mm-person__text" },
            h("span", { className: "mm-person__name" }, personName(name), name === me ? h("span", { className: "mm-person__you" }, " (you)") : null),
            h("span", { className: "mm-person__bio" }, bio || presenceWord(name)),
            h("span", { className: "mm-visually-hidden" }, bio ? `, ${presenceWord(name)}` : ""),
          ),
        );
        if (name !== me) {
          const message = h("button", { type: "button", className: "mm-button mm-button--small", attrs: { "aria-label": `Message ${name}` } }, "Message");
          message.addEventListener("click", () => {
            dialog.close();
            ctx.openChannel(dmChannel(me, name));
          });
          row.append(message);
        }
        return row;
      }),
    );
    if (!shown.length) list.append(h("li", { className: "mm-side-panel__empty" }, "Nobody matches that."));
  };

  if (kind === "private") {
    const add = h("button", { type: "button", className: "mm-button mm-button--secondary" }, "Add member");
    const rename = h("button", { type: "button", className: "mm-button mm-button--secondary" }, "Rename channel");
    const leave = h("button", { type: "button", className: "mm-button mm-button--danger" }, "Leave channel");
    add.addEventListener("click", () => openAddMemberDialog(ctx, channel, members));
    rename.addEventListener("click", () => openRenameDialog(ctx, channel));
    leave.addEventListener("click", async () => {
      if (await leaveChannel(ctx, channel)) dialog.close();
    });
    tools.append(add, rename, leave);
  }

  const reload = async () => {
    try {
      await startPeople(ctx.connection);
      members = await membersOf(ctx, channel);
      render();
    } catch (error) {
      status.show("error", error.message);
    }
  };

  const stopPeople = onPeopleChange(render);
  const stopUpdates = ctx.connection.on("channel.updated", (data) => {
    if (data.channel === channel && Array.isArray(data.members)) {
      members = data.members;
      render();
    }
  });
  filter.addEventListener("input", render);
  const dialog = openDialog({
    title: `Members of ${channelLabel(ctx.state, channel)}`,
    content,
    onClose: () => {
      stopPeople();
      stopUpdates?.();
    },
  });
  dialog.element.classList.add("mm-members-dialog");
  reload();
  return dialog;
}
