// Dialogs that start or change conversations: new DM / group DM, new private
// channel, rename, add a member, leave. Server refusals are shown as the
// server words them, next to the form, and the dialog stays open.

import { api } from "../../api.js";
import { channelLabel, privateId } from "./channels.js";
import { confirmDialog, openDialog } from "./dialog.js";
import { h, statusLine, uniqueId } from "./dom.js";
import { allUsers, dmChannel, startPeople } from "./people.js";
import { userPicker } from "./user-picker.js";

const NAME_MAX = 80;

function firstPublicChannel(state) {
  return state.channels?.().find((entry) => entry.kind === "public")?.id || "general";
}

/** Names as the accounts spell them; unknown ones are reported. */
function resolveNames(names) {
  const known = new Map(allUsers().map((user) => [user.username.toLowerCase(), user.username]));
  const found = [];
  const missing = [];
  for (const name of names) {
    const match = known.get(name.toLowerCase());
    if (match) found.push(match);
    else missing.push(name);
  }
  return { found, missing };
}

function missingMessage(missing) {
  return missing.length === 1 ? `There's no account named "${missing[0]}".` : `No accounts named: ${missing.join(", ")}.`;
}

function textField(label, { value = "", max, help } = {}) {
  const id = uniqueId("mm-field");
  const input = h("input", { id, className: "mm-input", type: "text", value, autocomplete: "off", maxLength: max ?? 524288 });
  const counter = max ? h("p", { className: "mm-counter mm-small" }, `${value.length}/${max}`) : null;
  if (counter) input.addEventListener("input", () => (counter.textContent = `${input.value.length}/${max}`));
  const element = h(
    "div",
    { className: "mm-field" },
    h("label", { className: "mm-label", htmlFor: id }, label),
    input,
    help || counter ? h("div", { className: "mm-field-footer" }, help ? h("p", { className: "mm-help" }, help) : h("span"), counter) : null,
  );
  return { element, input };
}

/** Submit on Enter in any text field of `form` (the picker handles its own Enter first). */
function submitOnEnter(form, submit) {
  form.addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.matches("input") && !event.defaultPrevented) {
      event.preventDefault();
      submit();
    }
  });
}

export function openNewDmDialog(ctx) {
  const me = ctx.state.me.username;
  const picker = userPicker({ label: "People", exclude: [me], help: "One person for a direct message, several for a group." });
  const status = statusLine();
  const form = h("div", { className: "mm-form" }, picker.element, status.element);
  startPeople(ctx.connection).catch((error) => status.show("error", error.message));
  const start = () => {
    const names = picker.chosen().filter((name) => name.toLowerCase() !== me.toLowerCase());
    if (!names.length) {
      status.show("error", "Pick someone to message.");
      picker.input.focus();
      return false;
    }
    const { found, missing } = resolveNames(names);
    if (missing.length) {
      status.show("error", missingMessage(missing));
      picker.input.focus();
      return false;
    }
    dialog.close();
    ctx.openChannel(dmChannel(me, ...found));
    return true;
  };
  submitOnEnter(form, start);
  const dialog = openDialog({
    title: "New message",
    content: form,
    actions: [{ label: "Cancel" }, { label: "Start conversation", kind: "primary", onClick: start }],
  });
  return dialog;
}

export function openNewPrivateChannelDialog(ctx) {
  const me = ctx.state.me.username;
  const name = textField("Channel name", { max: NAME_MAX });
  const picker = userPicker({ label: "Members", exclude: [me], help: "You can add more people later." });
  const status = statusLine();
  const form = h("div", { className: "mm-form" }, name.element, picker.element, status.element);
  startPeople(ctx.connection).catch((error) => status.show("error", error.message));
  const create = async () => {
    const title = name.input.value.trim();
    if (!title) {
      status.show("error", "Give the channel a name.");
      name.input.focus();
      return false;
    }
    const { found, missing } = resolveNames(picker.chosen());
    if (missing.length) {
      status.show("error", missingMessage(missing));
      return false;
    }
    try {
      const answer = await api("POST", "/api/private-channels", { name: title, members: found });
      // The answer may come before the channel.created event: it alone is enough to open it.
      ctx.state.privateChannelJoined(answer.channel);
      dialog.close();
      ctx.openChannel(answer.channel.channel);
      return true;
    } catch (error) {
      status.show("error", error.message);
      return false;
    }
  };
  submitOnEnter(form, () => create());
  const dialog = openDialog({
    title: "New private channel",
    content: form,
    actions: [{ label: "Cancel" }, { label: "Create channel", kind: "primary", onClick: create }],
  });
  return dialog;
}

export function openRenameDialog(ctx, channel) {
  const current = channelLabel(ctx.state, channel);
  const name = textField("New name", { value: current, max: NAME_MAX });
  const status = statusLine();
  const form = h("div", { className: "mm-form" }, name.element, status.element);
  const rename = async () => {
    const title = name.input.value.trim();
    if (!title) {
      status.show("error", "Give the channel a name.");
      return false;
    }
    try {
      await api("PATCH", `/api/private-channels/${privateId(channel)}`, { name: title });
      return true;
    } catch (error) {
      status.show("error", error.message);
      return false;
    }
  };
  submitOnEnter(form, async () => {
    if (await rename()) dialog.close();
  });
  const dialog = openDialog({
    title: "Rename channel",
    size: "sm",
    content: form,
    actions: [{ label: "Cancel" }, { label: "Rename", kind: "primary", onClick: rename }],
  });
  name.input.select();
  return dialog;
}

export function openAddMemberDialog(ctx, channel, members = []) {
  const picker = userPicker({ label: "Person to add", exclude: members, multiple: false, help: "They'll see messages from now on, not the earlier history." });
  const status = statusLine();
  const form = h("div", { className: "mm-form" }, picker.element, status.element);
  startPeople(ctx.connection).catch((error) => status.show("error", error.message));
  const add = async () => {
    const [name] = picker.chosen();
    if (!name) {
      status.show("error", "Pick someone to add.");
      return false;
    }
    try {
      await api("POST", `/api/private-channels/${privateId(channel)}/members`, { username: name });
      return true;
    } catch (error) {
      status.show("error", error.message);
      return false;
    }
  };
  return openDialog({
    title: `Add someone to ${channelLabel(ctx.state, channel)}`,
    size: "sm",
    content: form,
    actions: [{ label: "Cancel" }, { label: "Add", kind: "primary", onClick: add }],
  });
}

/** Ask, then leave; resolves true when the user left. */
export async function leaveChannel(ctx, channel) {
  const label = channelLabel(ctx.state, channel);
  const sure = await confirmDialog({
    title: "Leave channel?",
    message: `Leave "${label}"? You'll need an invite from a member to rejoin.`,
    confirmLabel: "Leave channel",
    kind: "danger",
  });
  if (!sure) return false;
  try {
    await api("POST", `/api/private-channels/${privateId(channel)}/leave`);
  } catch (error) {
    openDialog({ title: "Could not leave", size: "sm", content: h("p", { className: "mm-dialog__message" }, error.message), actions: [{ label: "OK", kind: "primary" }] });
    return false;
  }
  ctx.openChannel(firstPublicChannel(ctx.state));
  return true;
}
