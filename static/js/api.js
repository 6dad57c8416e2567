// Small JSON client for MiniMost's /api endpoints.
//
//   import { api, ApiError } from "./api.js";
//   const account = await api("PATCH", "/api/account", { bio: "Hi" });
//
// Sends the session cookie and the CSRF token (from <meta name="csrf-token">),
// encodes a plain object body as JSON and passes a FormData body through
// unchanged (the browser sets the multipart boundary). Resolves to the parsed
// JSON body, or null for an empty answer (204). Any other outcome throws an
// ApiError whose `message` is ready to show to the user.

const FALLBACK_MESSAGE = (status) => `Something went wrong (HTTP ${status}).`;
const NETWORK_MESSAGE = "Could not reach the server. Check your connection and try again.";

export class ApiError extends Error {
  /**
   * @param {number} status HTTP status (0 when the request never got an answer)
   * @param {string} message human-readable message, shown verbatim
   * @param {string|null} code machine-readable code from the error body, if any
   */
  constructor(status, message, code = null) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function csrfToken() {
  const meta = document.querySelector('meta[name="csrf-token"]');
  return meta ? meta.getAttribute("content") || "" : "";
}

async function readJson(response) {
  const text = await response.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

function errorFrom(status, data) {
  const error = data && typeof data === "object" ? data.error : null;
  if (error && typeof error === "object") {
    const message = typeof error.message === "string" && error.message ? error.message : FALLBACK_MESSAGE(status);
    return new ApiError(status, message, typeof error.code === "string" ? error.code : null);
  }
  if (typeof error === "string" && error) {
    return new ApiError(status, error);
  }
  return new ApiError(status, FALLBACK_MESSAGE(status));
}

/**
 * @param {string} method "GET", "POST", "PUT", "PATCH" or "DELETE"
 * @param {string} path same-origin path, e.g. "/api/account"
 * @param {object|FormData} [body] JSON-encoded unless it is a FormData
 * @returns {Promise<any>} parsed JSON, or null when the answer has no body
 */
export async function api(method, path, body) {
  const headers = {
    Accept: "application/json",
    "X-CSRF-Token": csrfToken(),
  };
  const init = { method, headers, credentials: "same-origin" };
  if (body instanceof FormData) {
    init.body = body;
  } else if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }

  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, NETWORK_MESSAGE, "network");
  }

  if (response.status === 401) {
    // The session is gone (signed out elsewhere or timed out): start over.
    location.assign("/login");
    throw new ApiError(401, "Your session has ended. Please sign in again.", "unauthorized");
  }

  const data = response.status === 204 ? null : await readJson(response);
  if (!response.ok) throw errorFrom(response.status, data);
  return data;
}
