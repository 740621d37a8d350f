// Swagger UI for /api/docs from the copy shipped with Interdict (no CDN: nodes are often air-gapped).
// A file, not an inline script, so the Content-Security-Policy can forbid inline scripts.
window.addEventListener("load", function () {
  window.ui = SwaggerUIBundle({
    url: "/api/openapi.json",
    dom_id: "#swagger-ui",
    deepLinking: true,
    requestInterceptor: function (request) {
      // calls made from this page use the login session: send its CSRF token with them
      var token = document.querySelector('meta[name="csrf-token"]');
      if (token) { request.headers["X-CSRF-Token"] = token.content; }
      return request;
    },
  });
});
