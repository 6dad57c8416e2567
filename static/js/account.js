// The account screen (templates/home.html): the server renders the forms with
// the current account; account-forms.js wires them.

import { wireAccount } from "./account-forms.js";

const root = document.getElementById("account");
if (root) {
  wireAccount(root, {
    username: root.dataset.username,
    nameColor: root.dataset.nameColor,
    avatarUrl: root.dataset.avatarUrl,
  });
}
