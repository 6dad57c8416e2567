// Starts Swagger UI (static/vendor/swagger-ui, loaded just before this module) on
// /openapi.json. "Try it out" calls go out with the session cookie and the CSRF token
// from <meta name="csrf-token">, exactly as the web client's own calls do.

const root = document.getElementById("api-docs");
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute("content") ?? "";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

function withCsrfToken(request) {
  if (!SAFE_METHODS.has((request.method || "GET").toUpperCase())) {
    request.headers["X-CSRF-Token"] = csrfToken;
  }
  request.credentials = "same-origin";
  return request;
}

window.SwaggerUIBundle({
  url: root.dataset.specUrl,
  domNode: root,
  deepLinking: true,
  presets: [window.SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  // The public validator is on the internet: never contact it from a LAN.
  validatorUrl: null,
  requestInterceptor: withCsrfToken,
  onComplete: () => {
    root.dataset.ready = "true";
  },
});
