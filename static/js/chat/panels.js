// The panels (static/js/chat/ui/), loaded once. When they are missing or broken the
// chat itself keeps working and the console says what failed.

let loading = null;

/** The panels' module (mountPanels, openDialog, openEmojiPicker, preferences…) or null. */
export function panels() {
  if (!loading) {
    loading = import("./ui/index.js").catch((error) => {
      console.error("MiniMost: the panels (static/js/chat/ui/index.js) could not be loaded; search, settings and dialogs are unavailable.", error);
      return null;
    });
  }
  return loading;
}
